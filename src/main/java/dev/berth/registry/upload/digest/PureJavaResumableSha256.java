package dev.berth.registry.upload.digest;

import java.util.Arrays;
import java.util.Objects;

/**
 * SHA-256 written from FIPS 180-4, used when the JDK's implementation cannot be opened up. Its state
 * is held in exactly the form of {@link Sha256State}, so saving and resuming are plain copies.
 */
final class PureJavaResumableSha256 implements ResumableSha256 {

    private static final int BLOCK_SIZE = Sha256State.BLOCK_SIZE;

    // FIPS 180-4 section 4.2.2: the first 32 bits of the fractional parts of the cube roots of the first 64 primes.
    private static final int[] K = {
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
    };

    private final int[] hash;
    private final byte[] block = new byte[BLOCK_SIZE];
    private final int[] w = new int[64]; // message schedule, kept to avoid allocating per block
    private int blockLength;
    private long length;

    PureJavaResumableSha256(Sha256State state) {
        hash = state.words();
        byte[] pending = state.pending();
        System.arraycopy(pending, 0, block, 0, pending.length);
        blockLength = pending.length;
        length = state.length();
    }

    @Override
    public void update(byte[] b, int off, int len) {
        Objects.checkFromIndexSize(off, len, b.length);
        length += len;
        if (blockLength > 0) {
            int n = Math.min(len, BLOCK_SIZE - blockLength);
            System.arraycopy(b, off, block, blockLength, n);
            blockLength += n;
            off += n;
            len -= n;
            if (blockLength < BLOCK_SIZE) {
                return;
            }
            compress(block, 0);
            blockLength = 0;
        }
        for (; len >= BLOCK_SIZE; off += BLOCK_SIZE, len -= BLOCK_SIZE) {
            compress(b, off);
        }
        System.arraycopy(b, off, block, 0, len);
        blockLength = len;
    }

    @Override
    public Sha256State state() {
        return new Sha256State(hash, Arrays.copyOf(block, blockLength), length);
    }

    @Override
    public byte[] digest() {
        return new PureJavaResumableSha256(state()).finish();
    }

    @Override
    public long length() {
        return length;
    }

    /** Pads and compresses the final block(s) in place (FIPS 180-4 section 5.1.1); this instance is spent after. */
    private byte[] finish() {
        long bitLength = length << 3;
        block[blockLength++] = (byte) 0x80;
        if (blockLength > BLOCK_SIZE - 8) {
            Arrays.fill(block, blockLength, BLOCK_SIZE, (byte) 0);
            compress(block, 0);
            blockLength = 0;
        }
        Arrays.fill(block, blockLength, BLOCK_SIZE - 8, (byte) 0);
        for (int i = 0; i < 8; i++) {
            block[BLOCK_SIZE - 1 - i] = (byte) (bitLength >>> (8 * i));
        }
        compress(block, 0);
        byte[] out = new byte[32];
        for (int i = 0; i < 8; i++) {
            out[4 * i] = (byte) (hash[i] >>> 24);
            out[4 * i + 1] = (byte) (hash[i] >>> 16);
            out[4 * i + 2] = (byte) (hash[i] >>> 8);
            out[4 * i + 3] = (byte) hash[i];
        }
        return out;
    }

    /** FIPS 180-4 section 6.2.2. */
    private void compress(byte[] in, int off) {
        for (int t = 0; t < 16; t++, off += 4) {
            w[t] = (in[off] << 24) | ((in[off + 1] & 0xff) << 16) | ((in[off + 2] & 0xff) << 8) | (in[off + 3] & 0xff);
        }
        for (int t = 16; t < 64; t++) {
            int w15 = w[t - 15];
            int w2 = w[t - 2];
            int s0 = Integer.rotateRight(w15, 7) ^ Integer.rotateRight(w15, 18) ^ (w15 >>> 3);
            int s1 = Integer.rotateRight(w2, 17) ^ Integer.rotateRight(w2, 19) ^ (w2 >>> 10);
            w[t] = s1 + w[t - 7] + s0 + w[t - 16];
        }
        int a = hash[0], b = hash[1], c = hash[2], d = hash[3], e = hash[4], f = hash[5], g = hash[6], h = hash[7];
        for (int t = 0; t < 64; t++) {
            int sum1 = Integer.rotateRight(e, 6) ^ Integer.rotateRight(e, 11) ^ Integer.rotateRight(e, 25);
            int ch = (e & f) ^ (~e & g);
            int t1 = h + sum1 + ch + K[t] + w[t];
            int sum0 = Integer.rotateRight(a, 2) ^ Integer.rotateRight(a, 13) ^ Integer.rotateRight(a, 22);
            int maj = (a & b) ^ (a & c) ^ (b & c);
            int t2 = sum0 + maj;
            h = g;
            g = f;
            f = e;
            e = d + t1;
            d = c;
            c = b;
            b = a;
            a = t1 + t2;
        }
        hash[0] += a;
        hash[1] += b;
        hash[2] += c;
        hash[3] += d;
        hash[4] += e;
        hash[5] += f;
        hash[6] += g;
        hash[7] += h;
    }
}
