package dev.berth.storage;

import dev.berth.storage.azure.AzureStorageDrivers;
import dev.berth.storage.filesystem.FilesystemStorageDriver;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Creates the one storage driver that {@code berth.storage.backend} names. */
@Configuration(proxyBeanMethods = false)
public class StorageConfiguration {

    @Bean
    StorageDriver storageDriver(StorageProperties properties) {
        return switch (properties.backend()) {
            case "filesystem" -> new FilesystemStorageDriver(properties.filesystem().root());
            case "azure" -> AzureStorageDrivers.create(properties.azure());
            default -> throw new IllegalStateException("berth.storage.backend=" + properties.backend()
                    + " is not a known store; use 'filesystem' or 'azure'");
        };
    }
}
