package dev.berth.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.storage.filesystem.FilesystemStorageDriver;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;

/** {@code berth.storage.backend} chooses the one driver, in any letter case, and refuses what it does not know. */
@ExtendWith(OutputCaptureExtension.class)
class StorageConfigurationTest {

    @TempDir
    Path root;

    /** The storage configurations with a consumer of the driver, as Berth's services are. */
    @Configuration(proxyBeanMethods = false)
    @EnableConfigurationProperties(StorageProperties.class)
    @Import({StorageConfiguration.Filesystem.class, StorageConfiguration.Azure.class, StorageConfiguration.Unknown.class})
    static class Storage {

        @Bean
        String storeName(StorageDriver store) {
            return store.name();
        }
    }

    private ApplicationContextRunner runner() {
        return new ApplicationContextRunner().withUserConfiguration(Storage.class)
                .withPropertyValues("berth.storage.filesystem.root=" + root);
    }

    @Test
    void theFilesystemStoreIsTheDefault() {
        runner().run(context -> {
            assertThat(context).hasNotFailed().hasSingleBean(StorageDriver.class);
            assertThat(context.getBean(StorageDriver.class)).isInstanceOf(FilesystemStorageDriver.class);
            assertThat(context.getBean(StorageProperties.class).backend()).isEqualTo(StorageProperties.Backend.FILESYSTEM);
        });
    }

    @Test
    void theBackendIsNamedInAnyLetterCase() {
        for (String filesystem : new String[] {"filesystem", "Filesystem", "FILESYSTEM"}) {
            runner().withPropertyValues("berth.storage.backend=" + filesystem).run(context -> {
                assertThat(context).as(filesystem).hasNotFailed().hasSingleBean(StorageDriver.class);
                assertThat(context.getBean(StorageDriver.class)).as(filesystem).isInstanceOf(FilesystemStorageDriver.class);
            });
        }
        // The Azure store is chosen, and says what it lacks to reach a container.
        for (String azure : new String[] {"azure", "Azure", "AZURE"}) {
            runner().withPropertyValues("berth.storage.backend=" + azure).run(context -> assertThat(context)
                    .as(azure).getFailure().rootCause().isInstanceOf(IllegalStateException.class)
                    .hasMessageStartingWith("berth.storage.azure.connection-string: not set"));
        }
    }

    @Test
    void anUnknownBackendStopsStartUpNamingThePropertyAndTheValidOnes(CapturedOutput output) {
        assertThatThrownBy(() -> new SpringApplicationBuilder(Storage.class).web(WebApplicationType.NONE)
                .run("--berth.storage.backend=s3", "--berth.storage.filesystem.root=" + root));
        assertThat(output).contains("APPLICATION FAILED TO START")
                .contains("Failed to bind properties under 'berth.storage.backend'")
                .contains("Value: \"s3\"")
                .containsPattern("The following values are valid:\\s+AZURE\\s+FILESYSTEM");
    }

    @Test
    void aSpellingThatBindsButNamesNoBackendIsRefusedToo() {
        runner().withPropertyValues("berth.storage.backend=file_system").run(context -> assertThat(context)
                .getFailure().rootCause().isInstanceOf(IllegalStateException.class)
                .hasMessage("berth.storage.backend=file_system is not a known store; use 'filesystem' or 'azure'"));
    }
}
