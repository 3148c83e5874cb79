package dev.berth.registry.gc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.registry.Digest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The mark's compact digest numbering: every digest found again, by the same number, and nothing else. */
class DigestIndexTest {

    @Test
    void numbersEachDistinctDigestOnceAndFindsItAgainThroughGrowth() {
        Random random = new Random(7);
        DigestIndex index = new DigestIndex();
        List<Digest> added = new ArrayList<>();
        for (int i = 0; i < 20_000; i++) {
            Digest digest = random(random);
            assertThat(index.add(digest)).isEqualTo(i);
            added.add(digest);
        }
        for (int i = 0; i < added.size(); i++) {
            assertThat(index.find(added.get(i))).isEqualTo(i);
            assertThat(index.add(added.get(i))).as("added again").isEqualTo(i);
            assertThat(index.digest(i)).isEqualTo(added.get(i));
        }
        assertThat(index.size()).isEqualTo(added.size());
        for (int i = 0; i < 1000; i++) {
            assertThat(index.find(random(random))).isEqualTo(-1);
        }
    }

    @Test
    void digestsSharingTheirFirstWordsAreToldApart() {
        String prefix = "00000000000000000000000000000000000000000000000000000000000000";
        DigestIndex index = new DigestIndex();
        for (int i = 0; i < 256; i++) {
            assertThat(index.add(Digest.sha256(prefix.substring(0, 62) + String.format("%02x", i)))).isEqualTo(i);
        }
        for (int i = 0; i < 256; i++) {
            Digest digest = Digest.sha256(prefix.substring(0, 62) + String.format("%02x", i));
            assertThat(index.find(digest)).isEqualTo(i);
            assertThat(index.digest(i)).isEqualTo(digest);
        }
        assertThat(index.find(Digest.sha256("f" + prefix.substring(0, 61) + "00"))).isEqualTo(-1);
    }

    private static Digest random(Random random) {
        byte[] bytes = new byte[32];
        random.nextBytes(bytes);
        return Digest.sha256(HexFormat.of().formatHex(bytes));
    }
}
