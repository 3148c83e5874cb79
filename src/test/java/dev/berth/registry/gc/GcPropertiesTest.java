package dev.berth.registry.gc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.settings.InvalidSettingException;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The garbage collection settings start-up refuses, and what a policy's patterns match. */
class GcPropertiesTest {

    static GcProperties with(GcProperties.DeleteUntagged untagged, RetentionPolicy... policies) {
        return new GcProperties(false, Duration.ofHours(24), Duration.ofHours(1), Duration.ofMinutes(2), false,
                Duration.ofMinutes(10), untagged, false, List.of(policies));
    }

    @Test
    void aPolicyWithoutARuleWouldDeleteEveryTagAndIsRefused() {
        assertThatThrownBy(() -> with(null, new RetentionPolicy("ci/**", 5, List.of(), null),
                new RetentionPolicy("team/**", null, List.of(), null)))
                .isInstanceOfSatisfying(InvalidSettingException.class,
                        e -> assertThat(e.property()).isEqualTo("berth.gc.retention[1]"));
        assertThatThrownBy(() -> with(null, new RetentionPolicy("ci/**", 0, List.of(), null)))
                .isInstanceOfSatisfying(InvalidSettingException.class,
                        e -> assertThat(e.property()).isEqualTo("berth.gc.retention[0].keep-newest"));
        assertThatThrownBy(() -> with(new GcProperties.DeleteUntagged(true, Duration.ofMinutes(5))))
                .isInstanceOfSatisfying(InvalidSettingException.class,
                        e -> assertThat(e.property()).isEqualTo("berth.gc.delete-untagged.age"));
        assertThat(with(null).prunes()).isFalse();
    }

    @Test
    void twoStarsCrossPathSegmentsAndOneDoesNot() {
        assertThat(new Glob("team/**").matches("team/a/b")).isTrue();
        assertThat(new Glob("team/**").matches("team")).isFalse();
        assertThat(new Glob("team/*").matches("team/a")).isTrue();
        assertThat(new Glob("team/*").matches("team/a/b")).isFalse();
        assertThat(new Glob("v*").matches("v1.2")).isTrue();
        assertThat(new Glob("v*").matches("dev1")).isFalse();
        assertThat(new Glob("a.b").matches("axb")).as("a dot is itself").isFalse();
    }
}
