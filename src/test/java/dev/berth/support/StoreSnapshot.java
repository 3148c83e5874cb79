package dev.berth.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/** What a filesystem store holds, to show that requests changed nothing in it. */
public final class StoreSnapshot {

    private StoreSnapshot() {
    }

    /**
     * Every file under {@code root} with the SHA-256 of its content, by relative path; scratch files and the
     * readiness probe's objects, which come and go on their own, are left out.
     */
    public static Map<String, String> of(Path root) {
        Map<String, String> files = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path file : walk.filter(Files::isRegularFile).toList()) {
                String relative = root.relativize(file).toString();
                if (!relative.startsWith(".berth-tmp") && !relative.startsWith("berth/health")) {
                    files.put(relative, Sha256.hex(Files.readAllBytes(file)));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return files;
    }
}
