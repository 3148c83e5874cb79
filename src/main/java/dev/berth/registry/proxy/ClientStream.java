package dev.berth.registry.proxy;

import java.io.IOException;
import java.io.OutputStream;

/**
 * One client's answer of a blob fetched from the upstream, fed from more than one source in turn: this
 * replica's own fetch, another replica's fetch in progress, the stored blob. Each offers bytes at their
 * position in the blob; bytes the client already has are skipped, so a source taken over part-way (another
 * replica's fetch stopped, this one fetches anew) continues the answer where it stands. A client that went
 * away is remembered, not reported: the fetch into the store goes on without it.
 */
final class ClientStream {

    private final CachedBlobs.BlobSink sink;
    private OutputStream out;
    private long sent;
    private boolean gone;

    ClientStream(CachedBlobs.BlobSink sink) {
        this.sink = sink;
    }

    /** Starts the answer, once, announcing {@code size} (-1: not known). */
    void open(long size) throws IOException {
        if (out == null) {
            out = sink.open(size);
        }
    }

    boolean isOpen() {
        return out != null;
    }

    /** How many bytes of the blob the client has been sent. */
    long sent() {
        return sent;
    }

    /** The client stopped reading: nothing more reaches it. */
    boolean isGone() {
        return gone;
    }

    /**
     * Offers {@code length} bytes found at {@code position} in the blob: what lies beyond the bytes sent is
     * sent. A source must not skip ahead: bytes past a gap would corrupt the answer.
     */
    void write(long position, byte[] buffer, int offset, int length) {
        long end = position + length;
        if (gone || end <= sent) {
            return;
        }
        if (position > sent) {
            throw new IllegalStateException("bytes offered at " + position + " but the client has " + sent);
        }
        int skip = (int) (sent - position);
        try {
            out.write(buffer, offset + skip, length - skip);
            sent = end;
        } catch (IOException e) {
            gone = true;
        }
    }

    void flush() {
        if (!gone && out != null) {
            try {
                out.flush();
            } catch (IOException e) {
                gone = true;
            }
        }
    }
}
