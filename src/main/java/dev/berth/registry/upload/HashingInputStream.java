package dev.berth.registry.upload;

import dev.berth.registry.ErrorCode;
import dev.berth.registry.RegistryException;
import dev.berth.registry.upload.digest.ResumableSha256;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * Hashes and counts a request body as the store pulls it. A broken body (client gone, connection reset)
 * becomes BLOB_UPLOAD_INVALID rather than an I/O error, so the store does not mistake it for its own failure.
 */
final class HashingInputStream extends FilterInputStream {

    private final ResumableSha256 hash;
    private long count;

    HashingInputStream(InputStream in, ResumableSha256 hash) {
        super(in);
        this.hash = hash;
    }

    long count() {
        return count;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) {
        int n;
        try {
            n = in.read(buffer, offset, length);
        } catch (IOException e) {
            throw new RegistryException(ErrorCode.BLOB_UPLOAD_INVALID,
                    "the request body broke off after " + count + " bytes: " + e.getMessage());
        }
        if (n > 0) {
            hash.update(buffer, offset, n);
            count += n;
        }
        return n;
    }

    @Override
    public long skip(long n) {
        return 0;
    }

    @Override
    public boolean markSupported() {
        return false;
    }
}
