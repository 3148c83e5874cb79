package dev.berth.registry.proxy;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * The upstream's blob on its way into the store, copied to the client as it is read, except its last byte:
 * that one is sent only by {@link #release()}, once the store verified the blob's digest. A blob that turns
 * out truncated or corrupted therefore never reaches the client whole, and the client's answer ends short of
 * its length, which every client reports as an error. A client that goes away does not stop the copy into
 * the store: the next pull finds the blob cached.
 */
final class HeldBackCopy extends FilterInputStream {

    private final ClientStream client;
    private final byte[] held = new byte[1];
    private boolean holding;
    private long count;

    HeldBackCopy(InputStream upstream, ClientStream client) {
        super(upstream);
        this.client = client;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
        int n = in.read(buffer, offset, length);
        if (n <= 0) {
            return n;
        }
        if (holding) {
            client.write(count - 1, held, 0, 1);
        }
        client.write(count, buffer, offset, n - 1);
        held[0] = buffer[offset + n - 1];
        holding = true;
        count += n;
        return n;
    }

    @Override
    public long skip(long n) {
        return 0; // every byte must pass through read
    }

    /** Bytes read from the upstream so far. */
    long count() {
        return count;
    }

    /** Sends the byte held back and flushes: the store has the blob, verified. */
    void release() {
        if (holding) {
            client.write(count - 1, held, 0, 1);
            holding = false;
        }
        client.flush();
    }
}
