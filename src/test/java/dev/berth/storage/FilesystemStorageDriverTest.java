package dev.berth.storage;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.storage.filesystem.FilesystemStorageDriver;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
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

    @Test
    void anUploadFolderOfPieceFilesFromEarlierBuildsTakesNoPiece() throws Exception {
        String data = path("earlier/data");
        Files.createDirectories(root.resolve(data));
        Files.write(root.resolve(data).resolve("3f2a9c1e-0000-4000-8000-000000000000"), new byte[] {1, 2, 3});

        assertThatThrownBy(() -> driver.writePiece(data, new ByteArrayInputStream(new byte[] {4})))
                .isInstanceOf(ObjectNotFoundException.class);
        assertThatThrownBy(() -> driver.composePieces(data, List.of("3f2a9c1e-0000-4000-8000-000000000000"),
                path("blob"))).isInstanceOf(ObjectNotFoundException.class);
    }
}
