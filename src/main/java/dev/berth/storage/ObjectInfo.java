package dev.berth.storage;

import java.time.Instant;

/** What the store knows of one object. */
public record ObjectInfo(String path, long size, Instant modifiedAt) {
}
