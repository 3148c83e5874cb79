package dev.berth.registry.upload.digest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;

class Sha256StateTest {

    private static final HexFormat HEX = HexFormat.of();

    private static final int[] H0 = {
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
    };

    // What Go's sha256.New() after Write([]byte("abc")) gives from MarshalBinary: magic "sha\x03", the
    // initial words (no block compressed yet), "abc" zero-padded to 64 bytes, then length 3.
    private static final String ABC_GO_BINARY = "73686103"
        + "6a09e667bb67ae853c6ef372a54ff53a510e527f9b05688c1f83d9ab5be0cd19"
        + "616263" + "00".repeat(61)
        + "0000000000000003";

    @Test
    void initialIsTheFipsInitialHashValue() {
        Sha256State initial = Sha256State.initial();
        assertArrayEquals(H0, initial.words());
        assertEquals(0, initial.pending().length);
        assertEquals(0, initial.length());
    }

    @Test
    void stateAfterAbcSerializesExactlyAsGoDoes() {
        Sha256State abc = new Sha256State(H0, "abc".getBytes(StandardCharsets.US_ASCII), 3);
        assertEquals(ABC_GO_BINARY, HEX.formatHex(abc.toBinary()));
        assertEquals(Sha256State.BINARY_SIZE, abc.toBinary().length);
        assertEquals(108, Sha256State.BINARY_SIZE);

        for (ResumableSha256 hash : new ResumableSha256[] {
                new PureJavaResumableSha256(Sha256State.initial()), ResumableSha256.create()}) {
            hash.update("abc".getBytes(StandardCharsets.US_ASCII));
            assertEquals(abc, hash.state());
        }
        assertEquals(abc, Sha256State.fromBinary(HEX.parseHex(ABC_GO_BINARY)));
    }

    @Test
    void binaryRoundTrips() {
        Random random = new Random(42);
        for (long length : new long[] {0, 1, 63, 64, 65, 127, 128, 1000, 1L << 40, Long.MAX_VALUE}) {
            int[] words = random.ints(8).toArray();
            byte[] pending = new byte[(int) (length % 64)];
            random.nextBytes(pending);
            Sha256State state = new Sha256State(words, pending, length);

            byte[] binary = state.toBinary();
            assertEquals(Sha256State.BINARY_SIZE, binary.length);
            Sha256State parsed = Sha256State.fromBinary(binary);
            assertEquals(state, parsed);
            assertArrayEquals(words, parsed.words());
            assertArrayEquals(pending, parsed.pending());
            assertEquals(length, parsed.length());
        }
    }

    @Test
    void fromBinaryRejectsWrongMagic() {
        byte[] binary = Sha256State.initial().toBinary();
        binary[3] = 0x02;
        assertMessageContains("SHA-224", assertThrows(IllegalArgumentException.class,
            () -> Sha256State.fromBinary(binary)));
        binary[0] = 'x';
        assertMessageContains("magic", assertThrows(IllegalArgumentException.class,
            () -> Sha256State.fromBinary(binary)));
        assertMessageContains("magic", assertThrows(IllegalArgumentException.class,
            () -> Sha256State.fromBinary(new byte[] {'s', 'h'})));
    }

    @Test
    void fromBinaryRejectsWrongSize() {
        byte[] binary = Sha256State.initial().toBinary();
        for (int size : new int[] {4, 107, 109, 200}) {
            byte[] resized = Arrays.copyOf(binary, size);
            assertMessageContains("expected 108 bytes, got " + size, assertThrows(IllegalArgumentException.class,
                () -> Sha256State.fromBinary(resized)));
        }
    }

    @Test
    void fromBinaryRejectsBlockDataBeyondThePendingBytes() {
        byte[] binary = Sha256State.fromBinary(HEX.parseHex(ABC_GO_BINARY)).toBinary();
        binary[4 + 32 + 3] = 'd'; // a fourth block byte, but the length still says 3
        assertMessageContains("3 pending bytes", assertThrows(IllegalArgumentException.class,
            () -> Sha256State.fromBinary(binary)));
    }

    @Test
    void fromBinaryRejectsImpossibleLength() {
        byte[] binary = Sha256State.initial().toBinary();
        Arrays.fill(binary, 100, 108, (byte) 0xff);
        binary[107] = (byte) 0xc0; // a multiple of 64, so only the sign is wrong
        assertMessageContains("length", assertThrows(IllegalArgumentException.class,
            () -> Sha256State.fromBinary(binary)));
    }

    @Test
    void constructorRejectsInconsistentComponents() {
        assertThrows(IllegalArgumentException.class, () -> new Sha256State(new int[7], new byte[0], 0));
        assertThrows(IllegalArgumentException.class, () -> new Sha256State(null, new byte[0], 0));
        assertThrows(IllegalArgumentException.class, () -> new Sha256State(H0, new byte[2], 3));
        assertThrows(IllegalArgumentException.class, () -> new Sha256State(H0, new byte[1], 64));
        assertThrows(IllegalArgumentException.class, () -> new Sha256State(H0, null, 0));
        assertThrows(IllegalArgumentException.class, () -> new Sha256State(H0, new byte[0], -64));
    }

    @Test
    void arraysAreCopiedInAndOut() {
        int[] words = H0.clone();
        byte[] pending = {1, 2};
        Sha256State state = new Sha256State(words, pending, 66);
        words[0] = 0;
        pending[0] = 0;
        state.words()[1] = 0;
        state.pending()[1] = 0;
        assertArrayEquals(H0, state.words());
        assertArrayEquals(new byte[] {1, 2}, state.pending());
    }

    @Test
    void equalsHashCodeAndToStringUseArrayContents() {
        Sha256State a = new Sha256State(H0.clone(), new byte[] {1, 2}, 66);
        Sha256State b = new Sha256State(H0.clone(), new byte[] {1, 2}, 66);
        assertEquals(a, b);
        assertEquals(a.hashCode(), b.hashCode());
        assertNotEquals(a, new Sha256State(H0, new byte[] {1, 3}, 66));
        assertNotEquals(a, new Sha256State(H0, new byte[] {1, 2}, 130));
        int[] otherWords = H0.clone();
        otherWords[7]++;
        assertNotEquals(a, new Sha256State(otherWords, new byte[] {1, 2}, 66));
        assertEquals("Sha256State[length=66, pending=2 bytes, words="
            + "6a09e667bb67ae853c6ef372a54ff53a510e527f9b05688c1f83d9ab5be0cd19]", a.toString());
    }

    private static void assertMessageContains(String expected, Throwable thrown) {
        assertTrue(thrown.getMessage().contains(expected), () -> "message: " + thrown.getMessage());
    }
}
