package dev.berth.registry.upload.digest;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.invoke.VarHandle;
import java.security.MessageDigest;
import java.security.MessageDigestSpi;
import java.util.Arrays;
import java.util.Objects;

/**
 * SHA-256 backed by the JDK's own {@code sun.security.provider.SHA2$SHA256}, whose compression HotSpot
 * replaces with SHA-NI/AVX2 intrinsics, with its private state read and written through method and var
 * handles. The SPI is instantiated directly rather than through {@link MessageDigest} so the result does
 * not depend on the installed security providers and only {@code sun.security.provider} must be opened.
 *
 * <p>Relies on these JDK internals (unchanged from Java 17 through 25): {@code SHA2.state} (the eight
 * chaining words), {@code DigestBase.buffer}/{@code bufOfs} (the partial block) and
 * {@code DigestBase.bytesProcessed} (the total length, including the partial block). Class
 * initialization probes them and runs a self-test; if anything is off, {@link #AVAILABLE} is false and
 * {@link ResumableSha256} falls back to {@link PureJavaResumableSha256}.
 */
final class JdkResumableSha256 implements ResumableSha256 {

    private static final System.Logger LOG = System.getLogger(JdkResumableSha256.class.getName());

    private static final MethodType UPDATE_TYPE =
        MethodType.methodType(void.class, MessageDigestSpi.class, byte[].class, int.class, int.class);
    private static final MethodType DIGEST_TYPE = MethodType.methodType(byte[].class, MessageDigestSpi.class);

    // Static final handles are constants to the JIT, so invoking them costs about a direct call.
    private static final MethodHandle NEW_SPI;
    private static final MethodHandle UPDATE;
    private static final MethodHandle DIGEST;
    private static final VarHandle WORDS;
    private static final VarHandle BUFFER;
    private static final VarHandle BUFFER_OFFSET;
    private static final VarHandle BYTES_PROCESSED;

    static final boolean AVAILABLE;

    static {
        MethodHandle newSpi = null;
        MethodHandle update = null;
        MethodHandle digest = null;
        VarHandle words = null;
        VarHandle buffer = null;
        VarHandle bufferOffset = null;
        VarHandle bytesProcessed = null;
        Throwable failure = null;
        try {
            Class<?> sha256 = Class.forName("sun.security.provider.SHA2$SHA256");
            Class<?> sha2 = sha256.getSuperclass();
            Class<?> digestBase = sha2.getSuperclass();
            MethodHandles.Lookup sha2Lookup = MethodHandles.privateLookupIn(sha2, MethodHandles.lookup());
            MethodHandles.Lookup baseLookup = MethodHandles.privateLookupIn(digestBase, MethodHandles.lookup());
            newSpi = sha2Lookup.findConstructor(sha256, MethodType.methodType(void.class))
                .asType(MethodType.methodType(MessageDigestSpi.class));
            update = baseLookup.findVirtual(digestBase, "engineUpdate",
                MethodType.methodType(void.class, byte[].class, int.class, int.class)).asType(UPDATE_TYPE);
            digest = baseLookup.findVirtual(digestBase, "engineDigest", MethodType.methodType(byte[].class))
                .asType(DIGEST_TYPE);
            words = sha2Lookup.findVarHandle(sha2, "state", int[].class);
            buffer = baseLookup.findVarHandle(digestBase, "buffer", byte[].class);
            bufferOffset = baseLookup.findVarHandle(digestBase, "bufOfs", int.class);
            bytesProcessed = baseLookup.findVarHandle(digestBase, "bytesProcessed", long.class);
        } catch (Throwable t) {
            failure = t;
        }
        NEW_SPI = newSpi;
        UPDATE = update;
        DIGEST = digest;
        WORDS = words;
        BUFFER = buffer;
        BUFFER_OFFSET = bufferOffset;
        BYTES_PROCESSED = bytesProcessed;
        if (failure == null) {
            failure = selfTestFailure();
        }
        AVAILABLE = failure == null;
        if (failure != null) {
            LOG.log(System.Logger.Level.WARNING, "JDK SHA-256 internals unavailable, using the slower pure-Java"
                + " SHA-256; run with --add-opens java.base/sun.security.provider=ALL-UNNAMED", failure);
        }
    }

    private final MessageDigestSpi spi;

    JdkResumableSha256(Sha256State state) {
        this(newAvailableSpi(), state);
    }

    private JdkResumableSha256(MessageDigestSpi spi, Sha256State state) {
        this.spi = spi;
        // A fresh SPI has zero length and an all-zero buffer, so copying into its arrays in place is enough.
        System.arraycopy(state.words(), 0, (int[]) WORDS.get(spi), 0, 8);
        byte[] pending = state.pending();
        System.arraycopy(pending, 0, (byte[]) BUFFER.get(spi), 0, pending.length);
        BUFFER_OFFSET.set(spi, pending.length);
        BYTES_PROCESSED.set(spi, state.length());
    }

    @Override
    public void update(byte[] b, int off, int len) {
        Objects.checkFromIndexSize(off, len, b.length);
        try {
            UPDATE.invokeExact(spi, b, off, len);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public Sha256State state() {
        int[] words = (int[]) WORDS.get(spi);
        byte[] pending = Arrays.copyOf((byte[]) BUFFER.get(spi), (int) BUFFER_OFFSET.get(spi));
        return new Sha256State(words, pending, length());
    }

    @Override
    public byte[] digest() {
        try {
            // engineDigest finalizes the SPI it runs on, so run it on a copy to keep this hash going.
            return (byte[]) DIGEST.invokeExact((MessageDigestSpi) spi.clone());
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public long length() {
        return (long) BYTES_PROCESSED.get(spi);
    }

    private static MessageDigestSpi newAvailableSpi() {
        if (!AVAILABLE) {
            throw new IllegalStateException("JDK SHA-256 internals are unavailable");
        }
        return newSpi();
    }

    private static MessageDigestSpi newSpi() {
        try {
            return (MessageDigestSpi) NEW_SPI.invokeExact();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException e) {
            return e;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException(t); // CloneNotSupportedException; the SHA-256 SPI is cloneable
    }

    /**
     * Hashes across a block boundary, snapshots, resumes into a fresh SPI and finishes, checking the
     * snapshot against the pure-Java hash (so the fields mean what we think) and the digest against
     * {@link MessageDigest} (so resuming works, and digest() leaves the hash intact). Returns null when all
     * is well.
     */
    private static Throwable selfTestFailure() {
        try {
            byte[] data = new byte[200];
            for (int i = 0; i < data.length; i++) {
                data[i] = (byte) (i * 31 + 7);
            }
            JdkResumableSha256 first = new JdkResumableSha256(newSpi(), Sha256State.initial());
            first.update(data, 0, 100);
            Sha256State saved = first.state();
            PureJavaResumableSha256 reference = new PureJavaResumableSha256(Sha256State.initial());
            reference.update(data, 0, 100);
            if (!saved.equals(reference.state())) {
                return new IllegalStateException("snapshot " + saved + " differs from " + reference.state());
            }
            JdkResumableSha256 resumed = new JdkResumableSha256(newSpi(), saved);
            resumed.update(data, 100, 100);
            byte[] expected = MessageDigest.getInstance("SHA-256").digest(data);
            if (!Arrays.equals(resumed.digest(), expected) || !Arrays.equals(resumed.digest(), expected)) {
                return new IllegalStateException("resumed digest differs from MessageDigest");
            }
            return null;
        } catch (Throwable t) {
            return t;
        }
    }
}
