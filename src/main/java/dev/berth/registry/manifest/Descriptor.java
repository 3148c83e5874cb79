package dev.berth.registry.manifest;

import dev.berth.registry.Digest;

/** A reference from a manifest to a blob or another manifest. */
public record Descriptor(String mediaType, Digest digest, long size, boolean hasUrls) {
}
