package dev.berth.storage.filesystem;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Sorted listings of large folders, kept while the folder's modification time says nothing was added or
 * removed, so that a page of a folder with a hundred thousand entries (the catalog) costs a binary search
 * instead of reading and sorting the whole folder. Folders changed within the last moments are never kept:
 * a file system's clock may not tell two changes in the same tick apart. Bounded by the names held.
 */
final class FolderListings {

    /** Smaller folders are listed afresh: that is as cheap as checking a kept listing. */
    static final int MIN_KEPT = 512;
    /** Names kept across all folders (some tens of MiB at most). */
    static final int MAX_NAMES = 500_000;
    private static final Duration SETTLED = Duration.ofSeconds(2);

    private record Listing(FileTime modified, String[] names) {
    }

    private final Map<Path, Listing> kept = new LinkedHashMap<>(16, 0.75f, true);
    private int names;

    /** Up to {@code limit} names after {@code startAfter} (null: from the first) in {@code folder}, sorted. */
    List<String> page(Path folder, String startAfter, int limit) throws IOException {
        String[] sorted = sortedNames(folder);
        int from = 0;
        if (startAfter != null) {
            int at = Arrays.binarySearch(sorted, startAfter);
            from = at >= 0 ? at + 1 : -at - 1;
        }
        int to = (int) Math.min(sorted.length, (long) from + limit);
        return from >= to ? List.of() : List.of(Arrays.copyOfRange(sorted, from, to));
    }

    private String[] sortedNames(Path folder) throws IOException {
        FileTime modified;
        try {
            modified = Files.getLastModifiedTime(folder);
        } catch (NoSuchFileException e) {
            return new String[0];
        }
        synchronized (this) {
            Listing listing = kept.get(folder);
            if (listing != null && listing.modified().equals(modified)) {
                return listing.names();
            }
        }
        String[] sorted = read(folder);
        boolean settled = modified.toInstant().isBefore(Instant.now().minus(SETTLED));
        if (settled && sorted.length >= MIN_KEPT && sorted.length <= MAX_NAMES) {
            synchronized (this) {
                Listing previous = kept.put(folder, new Listing(modified, sorted));
                names += sorted.length - (previous == null ? 0 : previous.names().length);
                var eldest = kept.entrySet().iterator();
                while (names > MAX_NAMES && eldest.hasNext()) {
                    names -= eldest.next().getValue().names().length;
                    eldest.remove();
                }
            }
        }
        return sorted;
    }

    private static String[] read(Path folder) throws IOException {
        List<String> found = new ArrayList<>();
        try (DirectoryStream<Path> children = Files.newDirectoryStream(folder)) {
            for (Path child : children) {
                found.add(child.getFileName().toString());
            }
        } catch (NoSuchFileException | NotDirectoryException e) {
            return new String[0];
        }
        String[] sorted = found.toArray(String[]::new);
        Arrays.sort(sorted);
        return sorted;
    }
}
