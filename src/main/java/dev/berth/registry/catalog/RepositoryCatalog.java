package dev.berth.registry.catalog;

import dev.berth.registry.ErrorCode;
import dev.berth.registry.Page;
import dev.berth.registry.RegistryException;
import dev.berth.registry.RepositoryName;
import dev.berth.registry.StorePaths;
import dev.berth.registry.StoreReadsAhead;
import dev.berth.registry.StoreWork;
import dev.berth.storage.StorageDriver;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.concurrent.Future;
import org.springframework.stereotype.Service;

/**
 * Which repositories exist: a folder under {@code repositories/} holding {@code _manifests} or
 * {@code _layers} is one, as in Distribution. Folders starting with '_' hold a repository's data, never
 * nested repositories.
 *
 * <p>A page of the catalog is found without walking the whole tree: a walk that always takes the smallest
 * pending name ({@link CatalogWalk}) yields repositories in name order, and it starts from the folders on
 * the path to {@code last}, so a page costs about one store listing per repository it returns. Those
 * listings are independent, so a few are read ahead at once ({@link StoreReadsAhead}): on an object store a
 * page takes a few round trips' time per eight repositories instead of one per repository.
 */
@Service
public class RepositoryCatalog {

    private final StorageDriver store;
    private final StoreReadsAhead ahead;

    public RepositoryCatalog(StorageDriver store, StoreReadsAhead ahead) {
        this.store = store;
        this.ahead = ahead;
    }

    public boolean exists(RepositoryName repository) {
        return isRepository(store.list(StorePaths.repository(repository), "_", 2));
    }

    public void requireExists(RepositoryName repository) {
        if (!exists(repository)) {
            throw new RegistryException(ErrorCode.NAME_UNKNOWN, "repository " + repository + " is not known",
                    repository.value());
        }
    }

    /** Up to {@code limit} repository names after {@code last} (null: from the first), in name order. */
    public Page page(String last, int limit) {
        if (limit <= 0) {
            return new Page(List.of(), false);
        }
        List<String> found = new CatalogWalk(last, limit + 1).run();
        return found.size() > limit ? new Page(found.subList(0, limit), true) : new Page(found, false);
    }

    /** Every repository name, in name order (for maintenance work that must see them all). */
    public List<String> names() {
        return new CatalogWalk(null, Integer.MAX_VALUE).run();
    }

    private static boolean isRepository(List<String> childrenFromUnderscore) {
        return childrenFromUnderscore.contains("_manifests") || childrenFromUnderscore.contains("_layers");
    }

    private static String folderOf(String name) {
        return name.isEmpty() ? StorePaths.REPOSITORIES : StorePaths.REPOSITORIES + "/" + name;
    }

    private static String child(String parent, String name) {
        return parent.isEmpty() ? name : parent + "/" + name;
    }

    /**
     * One walk over the repository folders, in name order. Each pending folder is a cursor over its children
     * (read from the store a batch at a time), ordered by the full name of the next child it will yield;
     * taking the smallest each time yields every name in order, because a folder's descendants all sort
     * after the folder's own name.
     */
    private final class CatalogWalk {

        private final String last;
        private final int wanted;
        private final int batch;
        private final PriorityQueue<Cursor> pending = new PriorityQueue<>(Comparator.comparing(Cursor::next));
        private final Map<String, Future<Cursor>> readsAhead = new HashMap<>();

        CatalogWalk(String last, int wanted) {
            this.last = last == null || last.isEmpty() ? null : last;
            this.wanted = wanted;
            this.batch = (int) Math.min(1000, Math.max(16, wanted + 2L));
        }

        List<String> run() {
            start();
            List<String> found = new ArrayList<>();
            while (found.size() < wanted && !pending.isEmpty()) {
                Cursor cursor = pending.poll();
                String name = cursor.take();
                if (cursor.hasNext()) {
                    pending.add(cursor);
                }
                Cursor children = childrenOf(name);
                if (children.repository && RepositoryName.isValid(name) && (last == null || name.compareTo(last) > 0)) {
                    found.add(name);
                }
                if (children.hasNext()) {
                    pending.add(children);
                }
                // The next names come from the deepest folder first: its children, then its siblings.
                readAhead(children, wanted - found.size());
                readAhead(cursor, wanted - found.size());
            }
            readsAhead.values().forEach(read -> read.cancel(false));
            return found;
        }

        /** The children of {@code name}, read ahead or read now. */
        private Cursor childrenOf(String name) {
            Future<Cursor> read = readsAhead.remove(name);
            return read == null ? new Cursor(name, null, true) : StoreWork.await(read);
        }

        /**
         * Starts reading the children of the next names {@code cursor} will yield: a few at most, and no more
         * than the page still lacks, so a short page reads nothing it does not use.
         */
        private void readAhead(Cursor cursor, int lacking) {
            int most = Math.min(StoreReadsAhead.WINDOW, lacking);
            for (int i = 0; readsAhead.size() < most && cursor.hasAhead(i); i++) {
                String name = cursor.ahead(i);
                if (name != null && !readsAhead.containsKey(name)) {
                    Future<Cursor> read = ahead.start(() -> new Cursor(name, null, true));
                    if (read == null) {
                        return;
                    }
                    readsAhead.put(name, read);
                }
            }
        }

        /**
         * Seeds the walk with what may hold names after {@code last}: on each folder from the root down to
         * {@code last}, the children after the next segment of {@code last}; sub-folders whose name is a
         * segment of {@code last} cut before a '-' or '.' (their children sort after {@code last}, though they
         * do not); and the children of {@code last} itself.
         */
        private void start() {
            if (last == null) {
                add(new Cursor("", null, false));
                return;
            }
            String[] segments = last.split("/", -1);
            String ancestor = "";
            for (int i = 0; i < segments.length; i++) {
                String segment = segments[i];
                // Past a segment no repository can have, there is nothing below it to look into.
                boolean deepest = i == segments.length - 1 || !RepositoryName.isValid(child(ancestor, segment));
                // Past a segment that continues ("team" of "team/app"), children like "team-x" sort before it.
                add(new Cursor(ancestor, deepest ? segment : segment + "/", false));
                for (int cut = 1; cut < segment.length(); cut++) {
                    char next = segment.charAt(cut);
                    String shorter = child(ancestor, segment.substring(0, cut));
                    if ((next == '-' || next == '.') && RepositoryName.isValid(shorter)) {
                        add(new Cursor(shorter, null, false));
                    }
                }
                if (deepest) {
                    if (RepositoryName.isValid(child(ancestor, segment))) {
                        add(new Cursor(child(ancestor, segment), null, false));
                    }
                    return;
                }
                ancestor = child(ancestor, segment);
            }
        }

        private void add(Cursor cursor) {
            if (cursor.hasNext()) {
                pending.add(cursor);
            }
        }

        /** The sub-folders of one folder after a starting name, read in batches, without '_' data folders. */
        private final class Cursor {
            private final String folder;
            private List<String> names;
            private int index;
            private boolean exhausted;
            private String after;
            final boolean repository;

            /**
             * @param checkRepository whether the first batch must also tell whether the folder is a
             *     repository (it holds '_layers' or '_manifests', which sort among its first names)
             */
            Cursor(String folder, String after, boolean checkRepository) {
                this.folder = folder;
                this.after = after;
                this.names = store.list(folderOf(folder), after, batch);
                this.exhausted = names.size() < batch;
                if (!checkRepository) {
                    this.repository = false;
                } else if (exhausted || names.get(names.size() - 1).compareTo("_manifests") > 0) {
                    this.repository = isRepository(names);
                } else {
                    // A folder with many sub-folders named from digits: its data folders lie beyond this batch.
                    this.repository = isRepository(store.list(folderOf(folder), "_", 2));
                }
                skipDataFolders();
            }

            boolean hasNext() {
                return index < names.size();
            }

            String next() {
                return child(folder, names.get(index));
            }

            /** Whether the names read so far hold an {@code i}-th one after the next. */
            boolean hasAhead(int i) {
                return index + i < names.size();
            }

            /** The full name {@code i} names after the next, or null for a data folder (never yielded). */
            String ahead(int i) {
                String name = names.get(index + i);
                return name.startsWith("_") ? null : child(folder, name);
            }

            String take() {
                String name = next();
                index++;
                skipDataFolders();
                return name;
            }

            private void skipDataFolders() {
                while (true) {
                    while (index < names.size() && names.get(index).startsWith("_")) {
                        index++;
                    }
                    if (index < names.size() || exhausted || names.isEmpty()) {
                        return;
                    }
                    after = names.get(names.size() - 1);
                    names = store.list(folderOf(folder), after, batch);
                    index = 0;
                    exhausted = names.size() < batch;
                }
            }
        }
    }
}
