package dev.berth.storage.azure;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * Counts the bytes read through it, on top of those read before it was wrapped: a write's size, known only
 * once its stream has been staged as blocks.
 */
final class CountingInputStream extends FilterInputStream {

    private long total;

    CountingInputStream(InputStream in, long alreadyRead) {
        super(in);
        this.total = alreadyRead;
    }

    long total() {
        return total;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
        int n = in.read(buffer, offset, length);
        if (n > 0) {
            total += n;
        }
        return n;
    }
}
