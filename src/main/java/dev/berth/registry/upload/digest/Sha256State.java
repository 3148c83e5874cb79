package dev.berth.registry.upload.digest;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/**
 * A snapshot of a running SHA-256: the chaining value, the bytes of the current partial block and
 * the total number of bytes hashed. Enough to resume the hash later, in another process.
 *
 * <p>{@link #toBinary()} uses the layout of Go's {@code crypto/sha256} {@code MarshalBinary}, so
 * hash states saved by CNCF Distribution can be resumed here and vice versa.
 *
 * @param words   the eight 32-bit chaining words H0..H7
 * @param pending the input bytes not yet compressed; exactly {@code length % 64} of them
 * @param length  the total number of bytes hashed so far
 */
public record Sha256State(int[] words, byte[] pending, long length) {

    static final int BLOCK_SIZE = 64;

    /** Size of {@link #toBinary()}: magic, eight words, one block, the length. */
    public static final int BINARY_SIZE = 4 + 8 * 4 + BLOCK_SIZE + 8;

    private static final byte[] MAGIC_SHA256 = {'s', 'h', 'a', 0x03};
    private static final byte[] MAGIC_SHA224 = {'s', 'h', 'a', 0x02};

    // FIPS 180-4 section 5.3.3.
    private static final int[] INITIAL_WORDS = {
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
    };

    private static final HexFormat HEX = HexFormat.of();

    public Sha256State {
        if (words == null || words.length != 8) {
            throw new IllegalArgumentException("SHA-256 state needs 8 words, got "
                + (words == null ? "null" : words.length));
        }
        if (length < 0) {
            throw new IllegalArgumentException("SHA-256 state length must not be negative: " + length);
        }
        if (pending == null || pending.length != length % BLOCK_SIZE) {
            throw new IllegalArgumentException("SHA-256 state with length " + length + " needs "
                + length % BLOCK_SIZE + " pending bytes, got " + (pending == null ? "null" : pending.length));
        }
        // Copies keep the record immutable despite its array components.
        words = words.clone();
        pending = pending.clone();
    }

    /** The state before any input. */
    public static Sha256State initial() {
        return new Sha256State(INITIAL_WORDS, new byte[0], 0);
    }

    @Override
    public int[] words() {
        return words.clone();
    }

    @Override
    public byte[] pending() {
        return pending.clone();
    }

    /** Serializes in Go's {@code crypto/sha256} {@code MarshalBinary} format ({@value #BINARY_SIZE} bytes). */
    public byte[] toBinary() {
        ByteBuffer out = ByteBuffer.allocate(BINARY_SIZE); // big-endian, zero-filled
        out.put(MAGIC_SHA256);
        for (int word : words) {
            out.putInt(word);
        }
        out.put(pending);
        out.position(out.position() + BLOCK_SIZE - pending.length);
        out.putLong(length);
        return out.array();
    }

    /**
     * Parses Go's {@code crypto/sha256} {@code MarshalBinary} format.
     *
     * @throws IllegalArgumentException if {@code binary} is not a well-formed SHA-256 state
     */
    public static Sha256State fromBinary(byte[] binary) {
        Objects.requireNonNull(binary, "binary");
        if (binary.length >= 4 && Arrays.equals(binary, 0, 4, MAGIC_SHA224, 0, 4)) {
            throw new IllegalArgumentException("invalid SHA-256 state: this is a SHA-224 state (magic \"sha\\x02\")");
        }
        if (binary.length < 4 || !Arrays.equals(binary, 0, 4, MAGIC_SHA256, 0, 4)) {
            throw new IllegalArgumentException("invalid SHA-256 state: does not start with magic \"sha\\x03\"");
        }
        if (binary.length != BINARY_SIZE) {
            throw new IllegalArgumentException("invalid SHA-256 state: expected " + BINARY_SIZE
                + " bytes, got " + binary.length);
        }
        ByteBuffer in = ByteBuffer.wrap(binary, 4, binary.length - 4);
        int[] words = new int[8];
        for (int i = 0; i < words.length; i++) {
            words[i] = in.getInt();
        }
        int blockStart = in.position();
        long length = in.getLong(blockStart + BLOCK_SIZE);
        if (length < 0) {
            throw new IllegalArgumentException("invalid SHA-256 state: length " + Long.toUnsignedString(length)
                + " is beyond what SHA-256 can hash");
        }
        // Go derives the pending count from the length and always zero-pads the rest of the block;
        // anything else there means the length and the block disagree.
        int pendingLength = (int) (length % BLOCK_SIZE);
        for (int i = blockStart + pendingLength; i < blockStart + BLOCK_SIZE; i++) {
            if (binary[i] != 0) {
                throw new IllegalArgumentException("invalid SHA-256 state: length " + length + " implies "
                    + pendingLength + " pending bytes but the block has data at offset " + (i - blockStart));
            }
        }
        return new Sha256State(words, Arrays.copyOfRange(binary, blockStart, blockStart + pendingLength), length);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Sha256State other
            && length == other.length
            && Arrays.equals(words, other.words)
            && Arrays.equals(pending, other.pending);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * Arrays.hashCode(words) + Arrays.hashCode(pending)) + Long.hashCode(length);
    }

    /** Shows the chaining words but not the pending bytes, which are blob content. */
    @Override
    public String toString() {
        StringBuilder hex = new StringBuilder(64);
        for (int word : words) {
            hex.append(HEX.toHexDigits(word));
        }
        return "Sha256State[length=" + length + ", pending=" + pending.length + " bytes, words=" + hex + "]";
    }
}
