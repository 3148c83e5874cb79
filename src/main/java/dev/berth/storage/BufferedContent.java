package dev.berth.storage;

import java.io.IOException;

/**
 * Content that arrives as buffers a store may keep for a while (to send several as one block) instead of
 * copying them, giving each back once its bytes are safely written. The supplier of the buffers has only a
 * bounded number: when it waits for one, {@link #next} says so ({@link Buffer#STARVED}), and a store holding
 * buffers back must then write them out instead of waiting for more.
 */
public interface BufferedContent {

    /** A buffer of content: its first {@code length} bytes. */
    record Buffer(byte[] array, int length) {
        /** Not content: the supplier waits for a buffer to be given back. */
        public static final Buffer STARVED = new Buffer(null, -1);
    }

    /**
     * The next buffer of content, waiting for it; {@link Buffer#STARVED} when the supplier waits for buffers
     * back; null at the end. Throws when the content broke off.
     */
    Buffer next() throws IOException;

    /** Gives a buffer back once its bytes are written. */
    void giveBack(byte[] array);
}
