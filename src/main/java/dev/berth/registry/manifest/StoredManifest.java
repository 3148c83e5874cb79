package dev.berth.registry.manifest;

import dev.berth.registry.Digest;

/** A manifest as served: its digest, media type and exact bytes (manifests are small: at most 4 MiB). */
public record StoredManifest(Digest digest, String mediaType, byte[] content) {
}
