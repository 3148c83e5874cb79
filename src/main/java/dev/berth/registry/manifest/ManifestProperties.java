package dev.berth.registry.manifest;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * Limits on pushed manifests.
 *
 * @param maxSize largest manifest accepted; larger pushes are refused with 413
 */
@ConfigurationProperties("berth.manifests")
public record ManifestProperties(@DefaultValue("4MB") DataSize maxSize) {
}
