package dev.berth.support;

import dev.berth.storage.StorageDriver;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.springframework.util.FileSystemUtils;

/**
 * One Berth on a fresh store for the whole test run: started on first use, stopped when the JVM exits.
 * Tests sharing it use repository names of their own. The system property {@value #BACKEND_PROPERTY} picks
 * the store: {@code filesystem} (the default, a temporary folder) or {@code azure} (a container in an
 * Azurite started for the JVM), so the same tests check Berth on both.
 */
public final class SharedBerth {

    public static final String BACKEND_PROPERTY = "berth.test.backend";
    /** The blob container of the shared instance on the Azure backend. */
    public static final String AZURE_CONTAINER = "berth-shared";

    private static BerthServer server;
    private static Path root;
    /** Why the first start failed: every later caller gets it at once instead of another slow attempt. */
    private static RuntimeException startFailure;

    private SharedBerth() {
    }

    /** The backend the shared instance runs on: {@code filesystem} or {@code azure}. */
    public static String backend() {
        String backend = System.getProperty(BACKEND_PROPERTY, "filesystem").trim();
        return backend.isEmpty() ? "filesystem" : backend;
    }

    public static boolean isFilesystem() {
        return backend().equals("filesystem");
    }

    public static synchronized BerthServer get() {
        if (startFailure != null) {
            throw new IllegalStateException("the shared Berth failed to start", startFailure);
        }
        if (server == null) {
            try {
                server = start();
            } catch (RuntimeException e) {
                startFailure = e;
                throw e;
            }
        }
        return server;
    }

    private static BerthServer start() {
        switch (backend()) {
            case "filesystem" -> {
                try {
                    root = Files.createTempDirectory("berth-shared-");
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                BerthServer started = BerthServer.startOnFilesystem(root);
                Path folder = root;
                Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                    started.close();
                    FileSystemUtils.deleteRecursively(folder.toFile()); // made for this test JVM alone
                }));
                return started;
            }
            case "azure" -> {
                BerthServer started = BerthServer.start(Azurite.berthArgs(AZURE_CONTAINER));
                Azurite.closeBeforeStopping(started);
                return started;
            }
            default -> throw new IllegalStateException(BACKEND_PROPERTY + "=" + backend()
                    + " is not a known backend; use 'filesystem' or 'azure'");
        }
    }

    /** The store of the shared instance (whichever backend), for tests that check what landed in it. */
    public static StorageDriver store() {
        return get().context().getBean(StorageDriver.class);
    }

    /** The store folder of the shared instance on the filesystem backend, for checks only it can make. */
    public static synchronized Path root() {
        get();
        if (root == null) {
            throw new IllegalStateException("the shared Berth runs on " + backend() + ", not on a folder");
        }
        return root;
    }
}
