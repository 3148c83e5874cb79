package dev.berth.registry.manifest;

import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * Limits on pushed manifests.
 *
 * @param maxSize largest manifest accepted; larger pushes are refused with 413
 * @param maxReferences most descriptors (config, layers, child manifests) one manifest may carry; each
 *     distinct one costs store lookups, so more are refused with {@code MANIFEST_INVALID}
 * @param urls which {@code urls} of foreign layers are accepted
 */
@ConfigurationProperties("berth.manifests")
public record ManifestProperties(@DefaultValue("4MB") DataSize maxSize, @DefaultValue("1000") int maxReferences,
        @DefaultValue Urls urls) {

    /**
     * A descriptor's {@code urls} sends clients to another server for the layer, so by default none is
     * accepted. A URL passes when it is {@code http(s)} without a fragment, some {@code allow} pattern is
     * found in it and no {@code deny} pattern is (regular expressions, as Distribution's
     * {@code validation.manifests.urls}).
     *
     * @param allow patterns of URLs that may be accepted; empty: none is
     * @param deny patterns of URLs refused even when allowed
     */
    public record Urls(@DefaultValue List<String> allow, @DefaultValue List<String> deny) {
    }
}
