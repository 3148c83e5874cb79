package dev.berth.registry.blob;

import dev.berth.registry.Digest;

/** A stored blob: its digest and size in bytes. */
public record BlobInfo(Digest digest, long size) {
}
