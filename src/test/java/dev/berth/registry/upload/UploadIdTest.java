package dev.berth.registry.upload;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.registry.RepositoryName;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Upload ids carry their opening time and their repository, and nothing but their own form passes. */
class UploadIdTest {

    static final RepositoryName TEAM_APP = new RepositoryName("team/app");

    @Test
    void anIdTellsWhenItWasOpenedForItsOwnRepositoryOnly() {
        Instant opened = Instant.parse("2026-11-30T01:02:03.456Z");
        String id = UploadId.create(TEAM_APP, Clock.fixed(opened, ZoneOffset.UTC));

        assertThat(UploadId.isWellFormed(id)).isTrue();
        assertThat(UUID.fromString(id).version()).isEqualTo(7);
        assertThat(UploadId.openedAt(id, TEAM_APP)).hasValue(opened);
        assertThat(UploadId.openedAt(id, new RepositoryName("team/other"))).isEmpty();
    }

    @Test
    void idsOfOneMillisecondAndRepositoryStillDiffer() {
        Clock clock = Clock.fixed(Instant.parse("2026-11-30T00:00:00Z"), ZoneOffset.UTC);
        assertThat(UploadId.create(TEAM_APP, clock)).isNotEqualTo(UploadId.create(TEAM_APP, clock));
    }

    @Test
    void onlyTheLowercaseUuidFormIsWellFormed() {
        for (String id : new String[] {"", "../../etc", "01234567-89ab-7cde-8f01-234567890ab",
                "01234567-89AB-7cde-8f01-234567890abc", "01234567-89ab-7cde-8f01-234567890abc/x",
                "0123456789ab7cde8f01234567890abc"}) {
            assertThat(UploadId.isWellFormed(id)).as(id).isFalse();
            assertThat(UploadId.openedAt(id, TEAM_APP)).as(id).isEmpty();
        }
        // A random (version 4) UUID, as earlier builds and Distribution made: well formed, but no opening time.
        String random = UUID.randomUUID().toString();
        assertThat(UploadId.isWellFormed(random)).isTrue();
        assertThat(UploadId.openedAt(random, TEAM_APP)).isEmpty();
    }
}
