package dev.berth.registry.upload;

import dev.berth.storage.Piece;
import dev.berth.storage.StorageDriver;
import java.io.InputStream;

/** The writer end of a {@link HashingPipe} for an upload: the chunk becomes a new piece of the upload's data. */
record PieceToStore(StorageDriver store, String dataPath) implements HashingPipe.PieceWriter<Piece> {

    @Override
    public Piece write(InputStream content) {
        return store.writePiece(dataPath, content);
    }
}
