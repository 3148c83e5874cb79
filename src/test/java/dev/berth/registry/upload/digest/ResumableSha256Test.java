package dev.berth.registry.upload.digest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.support.Sha256;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class ResumableSha256Test {

    enum Impl {
        JDK(JdkResumableSha256::new),
        PURE(PureJavaResumableSha256::new);

        private final Function<Sha256State, ResumableSha256> resume;

        Impl(Function<Sha256State, ResumableSha256> resume) {
            this.resume = resume;
        }

        ResumableSha256 create() {
            return resume.apply(Sha256State.initial());
        }

        ResumableSha256 resume(Sha256State state) {
            return resume.apply(state);
        }
    }

    @Test
    void fastPathIsAvailableUnderTheBuildsJvmFlags() {
        // Fails if the JDK internals moved or the --add-opens went missing, instead of silently running slower.
        assertTrue(ResumableSha256.fastPathAvailable());
        assertInstanceOf(JdkResumableSha256.class, ResumableSha256.create());
        assertInstanceOf(JdkResumableSha256.class, ResumableSha256.resume(Sha256State.initial()));
    }

    @ParameterizedTest
    @EnumSource(Impl.class)
    void knownAnswers(Impl impl) {
        assertEquals("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", hex(impl, ""));
        assertEquals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", hex(impl, "abc"));
        assertEquals("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
            hex(impl, "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"));

        ResumableSha256 million = impl.create();
        byte[] a = new byte[1000];
        Arrays.fill(a, (byte) 'a');
        for (int i = 0; i < 1000; i++) {
            million.update(a, 0, a.length);
        }
        assertEquals("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0", million.hexDigest());
        assertEquals(1_000_000, million.length());
    }

    /**
     * {@code largeUnmarshalTests} from Go's {@code crypto/sha256} tests: states Go saved 6 to 7 GB into a
     * hash, with the digests Go gives after resuming them. Checks interoperability and lengths over 2^32.
     */
    @ParameterizedTest
    @EnumSource(Impl.class)
    void resumesGoSavedStates(Impl impl) {
        String[][] goStatesAndSums = {
            {"736861037958afb7042a8faa9b78c5231feb94fd7a31affb6bd6970ac933cf020b2ea5e4" + "00".repeat(64)
                + "00000001a8179d67", "f5e06371f0c115e9968455c8e48a318aba548b9f15676fa41de123f7d1c99c55"},
            {"73686103249333750a560be2f73a3021cab3a413d32036dc4242b519cd3dc168ee3db49c" + "404142434445"
                + "00".repeat(58) + "00000001a5683846", "a280b08df5eba060fcd0eb3d29320bbc038afb95781661f91bbfd0a6fc9fdd6e"},
            {"736861039f128747f2df3c82a0112f2a570226494b576c680395b1ab0c0af65a65f91d1b"
                + "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20212223242526" + "00".repeat(25)
                + "0000000181563927", "d2fffb762f105ab71e2d70069346c44c38c4fe183aad8cfcf5a76397c0457806"},
        };
        for (String[] stateAndSum : goStatesAndSums) {
            byte[] goState = HexFormat.of().parseHex(stateAndSum[0]);
            ResumableSha256 hash = impl.resume(Sha256State.fromBinary(goState));
            assertEquals(stateAndSum[1], hash.hexDigest());
            assertArrayEquals(goState, hash.state().toBinary());
        }
    }

    @ParameterizedTest
    @EnumSource(Impl.class)
    void resumingThroughBinaryAtEveryStepMatchesMessageDigest(Impl impl) {
        Random random = new Random(7);
        for (int length = 0; length <= 300; length++) {
            assertResumesAtEveryStep(impl, randomBytes(random, length), random, 80);
        }
        for (int length : new int[] {3 << 20, (5 << 20) + 17}) {
            assertResumesAtEveryStep(impl, randomBytes(random, length), random, 300_000);
        }
    }

    @Test
    void implementationsProduceIdenticalStatesAndResumeEachOther() {
        Random random = new Random(11);
        byte[] data = randomBytes(random, 100_000);
        ResumableSha256 jdk = Impl.JDK.create();
        ResumableSha256 pure = Impl.PURE.create();
        int off = 0;
        while (off < data.length) {
            int n = Math.min(data.length - off, random.nextInt(200));
            jdk.update(data, off, n);
            pure.update(data, off, n);
            off += n;
            assertEquals(jdk.state(), pure.state(), "at " + off);
            assertArrayEquals(jdk.state().toBinary(), pure.state().toBinary(), "at " + off);
            // Each continues from the other's saved state.
            ResumableSha256 jdkFromPure = Impl.JDK.resume(Sha256State.fromBinary(pure.state().toBinary()));
            pure = Impl.PURE.resume(Sha256State.fromBinary(jdk.state().toBinary()));
            jdk = jdkFromPure;
        }
        assertArrayEquals(Sha256.of(data), jdk.digest());
        assertArrayEquals(Sha256.of(data), pure.digest());
    }

    @ParameterizedTest
    @EnumSource(Impl.class)
    void digestDoesNotDisturbTheRunningHash(Impl impl) {
        ResumableSha256 hash = impl.create();
        hash.update(bytes("ab"));
        Sha256State before = hash.state();
        assertEquals(sha256Hex("ab"), hash.hexDigest());
        assertEquals(sha256Hex("ab"), hash.hexDigest());
        assertEquals(before, hash.state());
        assertEquals(2, hash.length());

        hash.update(bytes("c"));
        assertEquals(sha256Hex("abc"), hash.hexDigest());

        byte[] big = randomBytes(new Random(3), 1000);
        hash.update(big);
        hash.digest();
        hash.update(big);
        byte[] expected = concat(bytes("abc"), big, big);
        assertArrayEquals(Sha256.of(expected), hash.digest());
        assertEquals(expected.length, hash.length());
    }

    @ParameterizedTest
    @EnumSource(Impl.class)
    void stateIsASnapshotNotAView(Impl impl) {
        ResumableSha256 hash = impl.create();
        hash.update(bytes("hello"));
        Sha256State snapshot = hash.state();
        hash.update(randomBytes(new Random(5), 100));
        assertEquals(new Sha256State(Sha256State.initial().words(), bytes("hello"), 5), snapshot);
    }

    @ParameterizedTest
    @EnumSource(Impl.class)
    void updatesFromByteBuffers(Impl impl) {
        byte[] data = randomBytes(new Random(9), 200_000);
        for (ByteBuffer buffer : new ByteBuffer[] {
                ByteBuffer.wrap(data), ByteBuffer.allocateDirect(data.length).put(data).flip(),
                ByteBuffer.wrap(data).asReadOnlyBuffer()}) {
            ResumableSha256 hash = impl.create();
            hash.update(buffer.slice(0, 10)); // a slice has a non-zero array offset
            hash.update(buffer.position(10));
            assertEquals(buffer.limit(), buffer.position());
            assertArrayEquals(Sha256.of(data), hash.digest(), buffer.toString());
        }
    }

    @ParameterizedTest
    @EnumSource(Impl.class)
    void rejectsOutOfBoundsUpdates(Impl impl) {
        ResumableSha256 hash = impl.create();
        byte[] data = new byte[10];
        assertThrows(IndexOutOfBoundsException.class, () -> hash.update(data, 5, 6));
        assertThrows(IndexOutOfBoundsException.class, () -> hash.update(data, -1, 2));
        assertThrows(IndexOutOfBoundsException.class, () -> hash.update(data, 0, -1));
        assertEquals(0, hash.length());
        hash.update(data, 10, 0);
        assertEquals(sha256Hex(""), hash.hexDigest());
    }

    /** Feeds {@code data} in random pieces, saving, serializing and resuming in a new instance after each. */
    private static void assertResumesAtEveryStep(Impl impl, byte[] data, Random random, int maxPiece) {
        ResumableSha256 hash = impl.create();
        int off = 0;
        do {
            int n = Math.min(data.length - off, random.nextInt(maxPiece + 1));
            hash.update(data, off, n);
            off += n;
            hash = impl.resume(Sha256State.fromBinary(hash.state().toBinary()));
            assertEquals(off, hash.length());
        } while (off < data.length);
        assertArrayEquals(Sha256.of(data), hash.digest(), () -> "length " + data.length);
    }

    private static String hex(Impl impl, String input) {
        ResumableSha256 hash = impl.create();
        hash.update(bytes(input));
        return hash.hexDigest();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] randomBytes(Random random, int length) {
        byte[] data = new byte[length];
        random.nextBytes(data);
        return data;
    }

    private static byte[] concat(byte[]... parts) {
        ByteBuffer out = ByteBuffer.allocate(Arrays.stream(parts).mapToInt(p -> p.length).sum());
        for (byte[] part : parts) {
            out.put(part);
        }
        return out.array();
    }

    private static String sha256Hex(String input) {
        return Sha256.hex(bytes(input));
    }
}
