package dev.berth.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * One Berth on a fresh filesystem store for the whole test run: started on first use, stopped when the
 * JVM exits. Tests sharing it use repository names of their own.
 */
public final class SharedBerth {

    private static BerthServer server;
    private static Path root;

    private SharedBerth() {
    }

    public static synchronized BerthServer get() {
        if (server == null) {
            try {
                root = Files.createTempDirectory("berth-shared-");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            server = BerthServer.startOnFilesystem(root);
            Runtime.getRuntime().addShutdownHook(new Thread(server::close));
        }
        return server;
    }

    /** The store folder of the shared instance, for tests that check what landed on disk. */
    public static synchronized Path root() {
        get();
        return root;
    }
}
