package dev.berth.storage.azure;

import com.azure.core.http.rest.PagedIterable;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.models.BlobItem;
import com.azure.storage.blob.models.ListBlobsOptions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;

/**
 * The children of a virtual folder, by the service's listing by hierarchy (delimiter {@code /}), in name
 * order and a page at a time. The service lists a blob's name and a sub-folder's name with its {@code /}, so
 * its order is not quite name order; and it cannot start a listing at a name, only at a prefix. Both are
 * made up for here.
 */
final class HierarchyListing {

    /** A folder with at most this many children is read whole by one request to start a page part-way. */
    static final int SMALL_FOLDER = 1000;

    private final BlobContainerClient container;
    private final int smallFolder;

    HierarchyListing(BlobContainerClient container) {
        this(container, SMALL_FOLDER);
    }

    HierarchyListing(BlobContainerClient container, int smallFolder) {
        this.container = container;
        this.smallFolder = smallFolder;
    }

    /** Every child name of {@code folder} (a blob name prefix ending in {@code /}), sorted. */
    List<String> all(String folder) {
        List<String> names = children(folder, "", null, Integer.MAX_VALUE);
        names.sort(Comparator.naturalOrder());
        return names;
    }

    /**
     * Up to {@code limit} child names of {@code folder} after {@code startAfter} (null or empty: from the
     * first). The names after {@code startAfter} are sought by prefixes of it, longest first: the names
     * sharing all of it, then those sharing all but its last character, and so on, until a listing holds a
     * page. Each listing skips only the names before {@code startAfter} that share its prefix; near the end
     * of a folder that is most of the folder.
     */
    List<String> page(String folder, String startAfter, int limit) {
        if (startAfter == null || startAfter.isEmpty()) {
            return children(folder, "", null, limit);
        }
        Optional<List<String>> small = wholeIfSmall(folder, startAfter, limit);
        if (small.isPresent()) {
            return small.get();
        }
        List<String> page = List.of();
        // A child's name has no '/': a prefix with one would list inside a sub-folder.
        int slash = startAfter.indexOf('/');
        String seekable = slash < 0 ? startAfter : startAfter.substring(0, slash);
        for (int shared = longestListedPrefix(folder, seekable); shared >= 0; shared--) {
            page = children(folder, startAfter.substring(0, shared), startAfter, limit);
            if (page.size() >= limit) {
                break;
            }
        }
        return page;
    }

    /**
     * The page after {@code startAfter} read from one listing of the whole folder, when the folder's children
     * fit in one page of the service (at most {@link #SMALL_FOLDER} names): one request, where seeking by prefixes
     * would list the folder again for every prefix tried once the page runs past its end.
     */
    private Optional<List<String>> wholeIfSmall(String folder, String startAfter, int limit) {
        var first = container.listBlobsByHierarchy("/", new ListBlobsOptions().setPrefix(folder)
                .setMaxResultsPerPage(smallFolder), null).iterableByPage().iterator();
        if (!first.hasNext()) {
            return Optional.of(List.of());
        }
        var page = first.next();
        if (page.getContinuationToken() != null) {
            return Optional.empty();
        }
        TreeSet<String> names = new TreeSet<>();
        for (BlobItem item : page.getValue()) {
            String listed = item.getName().substring(folder.length());
            String name = listed.endsWith("/") ? listed.substring(0, listed.length() - 1) : listed;
            if (!name.isEmpty() && name.indexOf('/') < 0 && name.compareTo(startAfter) > 0) {
                names.add(name);
            }
        }
        return Optional.of(names.stream().limit(limit).toList());
    }

    /**
     * Up to {@code limit} children of {@code folder} starting with {@code namePrefix} and sorting after
     * {@code after}, in name order. The service lists a sub-folder {@code app} as {@code app/}, after
     * {@code app-api/} ('-' and '.' sort before '/'), so the listing is read until it is past the page's last
     * name, and the few names that could still come later (the page's last name cut before a '-' or '.')
     * are looked up directly.
     */
    private List<String> children(String folder, String namePrefix, String after, int limit) {
        TreeSet<String> names = new TreeSet<>();
        PagedIterable<BlobItem> items = container.listBlobsByHierarchy("/", new ListBlobsOptions()
                .setPrefix(folder + namePrefix).setMaxResultsPerPage((int) Math.min(5000, limit + 16L)), null);
        // Each page of the service covers the next range of names, but the SDK hands out a page's blobs and
        // its sub-folders separately: the listing's order holds only from one page to the next.
        for (var page : items.iterableByPage()) {
            String furthest = "";
            for (BlobItem item : page.getValue()) {
                String listed = item.getName().substring(folder.length());
                String name = listed.endsWith("/") ? listed.substring(0, listed.length() - 1) : listed;
                if (!name.isEmpty() && name.indexOf('/') < 0 && (after == null || name.compareTo(after) > 0)) {
                    names.add(name);
                }
                if (listed.compareTo(furthest) > 0) {
                    furthest = listed;
                }
            }
            if (names.size() >= limit && furthest.compareTo(lastOfPage(names, limit) + "/") > 0) {
                break;
            }
        }
        while (names.size() >= limit) {
            String last = lastOfPage(names, limit);
            boolean added = false;
            for (int cut = namePrefix.length(); cut < last.length(); cut++) {
                char next = last.charAt(cut);
                String shorter = last.substring(0, cut);
                if ((next == '-' || next == '.') && (after == null || shorter.compareTo(after) > 0)
                        && !names.contains(shorter) && childExists(folder, shorter)) {
                    names.add(shorter);
                    added = true;
                }
            }
            if (!added) {
                break;
            }
        }
        List<String> page = new ArrayList<>(Math.min(limit, names.size()));
        for (String name : names) {
            if (page.size() >= limit) {
                break;
            }
            page.add(name);
        }
        return page;
    }

    private static String lastOfPage(TreeSet<String> names, int limit) {
        int index = 0;
        for (String name : names) {
            if (++index == limit) {
                return name;
            }
        }
        return names.last();
    }

    /**
     * The length of the longest start of {@code name} that some child of {@code folder} starts with: no
     * listing by a longer prefix can find anything. Found by halving, a few requests of one result each.
     */
    private int longestListedPrefix(String folder, String name) {
        int found = 0;
        int absent = name.length() + 1;
        while (absent - found > 1) {
            int middle = (found + absent) >>> 1;
            if (container.listBlobsByHierarchy("/", new ListBlobsOptions()
                    .setPrefix(folder + name.substring(0, middle)).setMaxResultsPerPage(1), null).iterator().hasNext()) {
                found = middle;
            } else {
                absent = middle;
            }
        }
        return found;
    }

    /** Whether {@code folder} has a child {@code name}: a sub-folder (something under it) or a blob. */
    private boolean childExists(String folder, String name) {
        if (container.listBlobsByHierarchy("/", new ListBlobsOptions().setPrefix(folder + name + "/")
                .setMaxResultsPerPage(1), null).iterator().hasNext()) {
            return true;
        }
        return container.getBlobClient(folder + name).exists();
    }
}
