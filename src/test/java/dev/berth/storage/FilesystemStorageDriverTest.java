package dev.berth.storage;

import dev.berth.storage.filesystem.FilesystemStorageDriver;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/** The filesystem store against the driver contract. */
class FilesystemStorageDriverTest extends StorageDriverContract {

    @TempDir
    static Path root;

    private static FilesystemStorageDriver driver;

    @BeforeAll
    static void createStore() {
        driver = new FilesystemStorageDriver(root);
    }

    @Override
    protected StorageDriver driver() {
        return driver;
    }
}
