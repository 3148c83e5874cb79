package dev.berth.registry.upload;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.registry.ErrorCode;
import dev.berth.registry.RegistryException;
import dev.berth.registry.RepositoryName;
import dev.berth.registry.StorePaths;
import dev.berth.support.Sha256;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HexFormat;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The rules of one chunk, on the services alone: lengths announced against lengths carried, what the first
 * chunk records for the purge and Distribution's tools, and the ids other replicas and earlier builds issued.
 */
class ChunkRulesTest {

    static final RepositoryName REPO = new RepositoryName("chunk/rules");

    final UploadServices services = UploadServices.withTimeouts(Duration.ofHours(1), Duration.ofHours(24));

    @AfterEach
    void close() {
        services.close();
    }

    @Test
    void aBodyShorterOrLongerThanItsContentLengthIsRefused() {
        String id = services.uploads.start(REPO).id();
        assertSizeInvalid(() -> services.uploads.append(REPO, id, body(10), null, 12));
        assertSizeInvalid(() -> services.uploads.append(REPO, id, body(5), null, 0));
        // A body of unknown length (chunked) is taken whole.
        assertThat(services.uploads.append(REPO, id, body(7), null, -1).size()).isEqualTo(7);
    }

    @Test
    void aContentRangeMustAgreeWithContentLength() {
        String id = services.uploads.start(REPO).id();
        assertSizeInvalid(() -> services.uploads.append(REPO, id, body(10), new ChunkRange(0, 9), 0));
        assertSizeInvalid(() -> services.uploads.append(REPO, id, body(10), new ChunkRange(0, 9), 11));
        assertThat(services.uploads.append(REPO, id, body(10), new ChunkRange(0, 9), -1).size()).isEqualTo(10);
        assertThat(services.uploads.append(REPO, id, body(4), new ChunkRange(10, 13), 4).size()).isEqualTo(14);
    }

    @Test
    void theFirstChunkRecordsWhenTheUploadStartedAndEveryChunkIsCounted() {
        String id = services.uploads.start(REPO).id();
        assertThat(services.store.readBytes(StorePaths.uploadStartedAt(REPO, id))).isEmpty();

        services.uploads.append(REPO, id, body(3), null, 3);
        services.uploads.append(REPO, id, body(4), null, 4);

        assertThat(services.store.readBytes(StorePaths.uploadStartedAt(REPO, id))).as("Distribution's startedat")
                .hasValueSatisfying(at -> assertThat(new String(at, StandardCharsets.UTF_8))
                        .isEqualTo("2026-11-29T12:00:00Z"));
        assertThat(services.events.chunks).containsExactly(3L, 4L);
    }

    /**
     * The last 32 bits of an id are the first four bytes of the SHA-256 of the repository's name: ids issued by
     * another replica, or by an earlier build, must keep naming the same repository.
     */
    @Test
    void anIdCarriesItsRepositorysHashAsEveryBuildComputesIt() {
        String id = services.uploads.start(REPO).id();
        String expected = HexFormat.of().formatHex(Sha256.of(REPO.value().getBytes(StandardCharsets.UTF_8)), 0, 4);
        assertThat(id).endsWith(expected);
        assertThat(UploadId.openedAt(id, REPO)).hasValue(services.clock.instant());
        assertThat(UploadId.openedAt(id, new RepositoryName("chunk/other"))).isEmpty();
    }

    private static ByteArrayInputStream body(int size) {
        return new ByteArrayInputStream(new byte[size]);
    }

    private static void assertSizeInvalid(org.assertj.core.api.ThrowableAssert.ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOf(RegistryException.class)
                .extracting(e -> ((RegistryException) e).code()).isEqualTo(ErrorCode.SIZE_INVALID);
    }
}
