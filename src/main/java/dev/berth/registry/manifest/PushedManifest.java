package dev.berth.registry.manifest;

import dev.berth.registry.Digest;

/**
 * The outcome of a manifest push: its digest, its media type and size, and, for an artifact, the digest of its
 * subject (or null).
 */
public record PushedManifest(Digest digest, Digest subject, String mediaType, long size) {
}
