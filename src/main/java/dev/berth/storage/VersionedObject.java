package dev.berth.storage;

/** A small object's bytes together with the version tag a conditional write must name. */
public record VersionedObject(byte[] content, String version) {
}
