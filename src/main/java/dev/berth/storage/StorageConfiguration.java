package dev.berth.storage;

import dev.berth.settings.InvalidSettingException;
import dev.berth.storage.azure.AzureStorageDrivers;
import dev.berth.storage.filesystem.FilesystemStorageDriver;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.NoneNestedConditions;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

/**
 * Creates the one storage driver that {@code berth.storage.backend} names: one configuration per backend,
 * each active only for its value (as Spring Boot's {@code DataSourceConfiguration} has one per pool), so a
 * backend's settings and clients are never touched unless it is chosen.
 */
final class StorageConfiguration {

    static final String BACKEND = "berth.storage.backend";

    private StorageConfiguration() {
    }

    /** The default: files under {@code berth.storage.filesystem.root}. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnProperty(name = BACKEND, havingValue = "filesystem", matchIfMissing = true)
    static class Filesystem {

        @Bean
        StorageDriver storageDriver(StorageProperties properties) {
            try {
                return new FilesystemStorageDriver(properties.filesystem().root());
            } catch (StorageException e) {
                throw new InvalidSettingException("berth.storage.filesystem.root", "cannot create the store folder "
                        + properties.filesystem().root().toAbsolutePath(), "Set berth.storage.filesystem.root to a"
                        + " folder Berth may create and write (environment: BERTH_STORAGE_FILESYSTEM_ROOT).", e);
            }
        }
    }

    /** An Azure Blob Storage container, from {@code berth.storage.azure.*}. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnProperty(name = BACKEND, havingValue = "azure")
    static class Azure {

        @Bean
        StorageDriver storageDriver(StorageProperties properties) {
            return AzureStorageDrivers.create(properties.azure());
        }
    }

    /**
     * Any other value. Without a driver, start-up would fail at the first bean that needs one, saying only
     * that there is none; binding the settings instead fails naming the property, the value and the valid
     * backends. A spelling that binds but no condition above takes (such as {@code FILE_SYSTEM}) is refused
     * here.
     */
    @Configuration(proxyBeanMethods = false)
    @Conditional(NoKnownBackend.class)
    static class Unknown {

        @Bean
        StorageDriver storageDriver(StorageProperties properties, Environment environment) {
            // Unused, but bound first: an unknown value fails there, before this line.
            throw new IllegalStateException(BACKEND + "=" + environment.getProperty(BACKEND)
                    + " is not a known store; use 'filesystem' or 'azure'");
        }
    }

    /** Neither backend's condition holds. */
    static final class NoKnownBackend extends NoneNestedConditions {

        NoKnownBackend() {
            super(ConfigurationPhase.PARSE_CONFIGURATION);
        }

        @ConditionalOnProperty(name = BACKEND, havingValue = "filesystem", matchIfMissing = true)
        static final class FilesystemChosen {
        }

        @ConditionalOnProperty(name = BACKEND, havingValue = "azure")
        static final class AzureChosen {
        }
    }
}
