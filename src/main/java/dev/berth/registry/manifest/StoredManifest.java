package dev.berth.registry.manifest;

import dev.berth.registry.Digest;
import dev.berth.registry.Documents;

/**
 * A manifest as served: its digest, media type and exact bytes, held under a share of the memory budget
 * until closed (once the bytes are written out).
 */
public record StoredManifest(Digest digest, String mediaType, byte[] content, Documents.Held held)
        implements AutoCloseable {

    @Override
    public void close() {
        held.close();
    }
}
