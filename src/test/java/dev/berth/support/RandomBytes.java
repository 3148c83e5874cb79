package dev.berth.support;

import java.util.Random;
import java.util.concurrent.ThreadLocalRandom;

/** Blob content for tests: random, so no two pushes share a digest unless a test means them to. */
public final class RandomBytes {

    private RandomBytes() {
    }

    /** {@code size} bytes never seen before. */
    public static byte[] randomBytes(int size) {
        byte[] bytes = new byte[size];
        ThreadLocalRandom.current().nextBytes(bytes);
        return bytes;
    }

    /** {@code size} bytes that are the same on every run for the same {@code seed}. */
    public static byte[] randomBytes(int size, long seed) {
        byte[] bytes = new byte[size];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }
}
