package dev.berth.storage;

/** A stored piece of a multipart object: the handle that names it to {@link StorageDriver#composePieces}, and its size. */
public record Piece(String handle, long size) {
}
