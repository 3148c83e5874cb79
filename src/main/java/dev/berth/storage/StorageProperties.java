package dev.berth.storage;

import java.nio.file.Path;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Where Berth keeps its data.
 *
 * @param backend which store to use: {@code filesystem} (one node) or {@code azure} (clusters)
 * @param filesystem settings of the filesystem store
 */
@ConfigurationProperties("berth.storage")
public record StorageProperties(@DefaultValue("filesystem") String backend, @DefaultValue Filesystem filesystem) {

    /**
     * @param root folder holding the store; the layout under it is CNCF Distribution's, so
     *     {@code registry:2} can serve the same folder
     */
    public record Filesystem(@DefaultValue("./data") Path root) {
    }
}
