package dev.berth.registry.gc;

import dev.berth.registry.Digest;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * Numbers distinct sha256 digests 0, 1, 2, ... in the order they are first added, so that what a mark keeps
 * per digest (liveness, size, references) fits in arrays indexed by that number. A digest is held as its 32
 * raw bytes in four longs, found through an open-addressing table of ids: about 45 bytes a digest at 100,000
 * digests, where a {@code HashSet<Digest>} costs 150 and more.
 */
final class DigestIndex {

    private static final int WORDS = 4;
    private static final HexFormat HEX = HexFormat.of();

    /** Digest {@code i} is {@code words[4i .. 4i+3]}, most significant first. */
    private long[] words = new long[WORDS * 64];
    /** Open addressing with linear probing: {@code id + 1}, 0 for an empty slot; at most half full. */
    private int[] slots = new int[128];
    private int size;

    /** The digest's number, a new one ({@link #size()} before the call) when it was not there yet. */
    int add(Digest digest) {
        long w0 = word(digest, 0);
        long w1 = word(digest, 1);
        long w2 = word(digest, 2);
        long w3 = word(digest, 3);
        int slot = probe(w0, w1, w2, w3);
        if (slots[slot] != 0) {
            return slots[slot] - 1;
        }
        if (WORDS * (size + 1) > words.length) {
            words = Arrays.copyOf(words, words.length * 2);
        }
        int id = size++;
        words[WORDS * id] = w0;
        words[WORDS * id + 1] = w1;
        words[WORDS * id + 2] = w2;
        words[WORDS * id + 3] = w3;
        slots[slot] = id + 1;
        if (2 * size > slots.length) {
            rehash();
        }
        return id;
    }

    /** The digest's number, or -1 when it was never added. */
    int find(Digest digest) {
        int slot = probe(word(digest, 0), word(digest, 1), word(digest, 2), word(digest, 3));
        return slots[slot] - 1;
    }

    Digest digest(int id) {
        StringBuilder hex = new StringBuilder(64);
        for (int i = 0; i < WORDS; i++) {
            hex.append(HEX.toHexDigits(words[WORDS * id + i]));
        }
        return Digest.sha256(hex.toString());
    }

    int size() {
        return size;
    }

    /** The slot holding the digest, or the empty slot where it would go. */
    private int probe(long w0, long w1, long w2, long w3) {
        int mask = slots.length - 1;
        // A digest's bits are uniformly random already: its first word is a good hash as it is.
        int slot = (int) (w0 ^ (w0 >>> 32)) & mask;
        while (true) {
            int held = slots[slot];
            if (held == 0) {
                return slot;
            }
            int at = WORDS * (held - 1);
            if (words[at] == w0 && words[at + 1] == w1 && words[at + 2] == w2 && words[at + 3] == w3) {
                return slot;
            }
            slot = (slot + 1) & mask;
        }
    }

    private void rehash() {
        slots = new int[slots.length * 2];
        for (int id = 0; id < size; id++) {
            int at = WORDS * id;
            slots[probe(words[at], words[at + 1], words[at + 2], words[at + 3])] = id + 1;
        }
    }

    private static long word(Digest digest, int i) {
        return Long.parseUnsignedLong(digest.hex(), 16 * i, 16 * i + 16, 16);
    }
}
