package dev.berth.registry.upload.digest;

import java.nio.ByteBuffer;
import java.util.HexFormat;

/**
 * A SHA-256 whose running state can be captured as a {@link Sha256State} and resumed later, possibly in
 * another process, so a chunked upload can be hashed incrementally across requests and replicas.
 *
 * <p>Instances are not thread-safe.
 */
public interface ResumableSha256 {

    /** Hashes {@code len} bytes of {@code b} starting at {@code off}. */
    void update(byte[] b, int off, int len);

    default void update(byte[] b) {
        update(b, 0, b.length);
    }

    /** Hashes the remaining bytes of {@code buffer}, leaving its position at its limit. */
    default void update(ByteBuffer buffer) {
        if (buffer.hasArray()) {
            update(buffer.array(), buffer.arrayOffset() + buffer.position(), buffer.remaining());
            buffer.position(buffer.limit());
            return;
        }
        byte[] chunk = new byte[Math.min(buffer.remaining(), 64 * 1024)];
        while (buffer.hasRemaining()) {
            int n = Math.min(chunk.length, buffer.remaining());
            buffer.get(chunk, 0, n);
            update(chunk, 0, n);
        }
    }

    /** A snapshot of the running state; the hash can continue afterwards. */
    Sha256State state();

    /** The digest of everything hashed so far (32 bytes); the hash can continue afterwards. */
    byte[] digest();

    /** {@link #digest()} as lowercase hex. */
    default String hexDigest() {
        return HexFormat.of().formatHex(digest());
    }

    /** The number of bytes hashed so far. */
    long length();

    /** A new hash, backed by the JDK's intrinsified SHA-256 when {@link #fastPathAvailable()}. */
    static ResumableSha256 create() {
        return resume(Sha256State.initial());
    }

    /** A hash continuing from {@code state}, backed by the JDK when {@link #fastPathAvailable()}. */
    static ResumableSha256 resume(Sha256State state) {
        return fastPathAvailable() ? new JdkResumableSha256(state) : new PureJavaResumableSha256(state);
    }

    /**
     * Whether the JDK's own SHA-256 can be used, which needs
     * {@code --add-opens java.base/sun.security.provider=ALL-UNNAMED}; otherwise a slower pure-Java
     * implementation is used.
     */
    static boolean fastPathAvailable() {
        return JdkResumableSha256.AVAILABLE;
    }
}
