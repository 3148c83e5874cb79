package dev.berth.registry.manifest;

import dev.berth.registry.Digest;
import java.util.List;

/**
 * A reference from a manifest to a blob or another manifest.
 *
 * @param urls the descriptor's {@code urls}: other places the content may be fetched from (empty for none)
 */
public record Descriptor(String mediaType, Digest digest, long size, List<String> urls) {

    public Descriptor {
        urls = List.copyOf(urls);
    }

    public boolean hasUrls() {
        return !urls.isEmpty();
    }
}
