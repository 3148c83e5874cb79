package dev.berth.registry.upload;

/** The byte range a chunk claims to carry ({@code Content-Range: start-end}, end inclusive). */
public record ChunkRange(long start, long end) {

    public long length() {
        return end - start + 1;
    }
}
