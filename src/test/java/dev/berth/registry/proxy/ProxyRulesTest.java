package dev.berth.registry.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.registry.RepositoryName;
import dev.berth.settings.InvalidSettingException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

/** Which repositories the settings cache, and the mistakes that stop start-up instead of a first pull. */
class ProxyRulesTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private static ProxyProperties.Rule rule(String prefix, String upstream) {
        return new ProxyProperties.Rule(prefix, upstream == null ? null : URI.create(upstream), null, null,
                Duration.ofMinutes(5), Duration.ofSeconds(5), Duration.ofSeconds(60), null);
    }

    private static ProxyProperties.Rule evicting(String prefix, Duration evictAfter) {
        return new ProxyProperties.Rule(prefix, URI.create("https://upstream.example"), null, null,
                Duration.ofMinutes(5), Duration.ofSeconds(5), Duration.ofSeconds(60), evictAfter);
    }

    private static ProxyRules rules(List<ProxyProperties.Rule> rules, ProxyProperties.Rule mirror) {
        return new ProxyRules(new ProxyProperties(rules, mirror), JSON, Optional.empty());
    }

    @Test
    void aRuleCoversTheRepositoriesUnderItsPrefixOnly() {
        ProxyRules rules = rules(List.of(rule("hub", "https://upstream.example"),
                rule("ghcr/cache", "http://other.example:5000/")), null);
        assertThat(rules.find(new RepositoryName("hub/library/alpine"))).get()
                .extracting(CachedRepository::upstreamName).isEqualTo("library/alpine");
        assertThat(rules.find(new RepositoryName("ghcr/cache/org/app"))).get()
                .extracting(CachedRepository::upstreamName).isEqualTo("org/app");
        assertThat(rules.find(new RepositoryName("hub"))).isEmpty();
        assertThat(rules.find(new RepositoryName("hubx/library/alpine"))).isEmpty();
        assertThat(rules.find(new RepositoryName("ghcr/app"))).isEmpty();
        assertThat(rules.find(new RepositoryName("ghcr/cache/org/app")).get().upstream().baseUrl())
                .isEqualTo("http://other.example:5000");
    }

    @Test
    void aMirrorCoversEveryRepositoryUnderItsOwnName() {
        ProxyRules rules = rules(List.of(), rule(null, "https://upstream.example"));
        assertThat(rules.find(new RepositoryName("library/alpine"))).get()
                .extracting(CachedRepository::upstreamName).isEqualTo("library/alpine");
        assertThat(rules(List.of(), null).find(new RepositoryName("library/alpine"))).isEmpty();
    }

    @Test
    void mistakesStopStartUpNamingTheProperty() {
        assertRefused(List.of(rule("hub", null)), null, "berth.proxy.rules[0].upstream: is not set");
        assertRefused(List.of(rule("Hub!", "https://a.example")), null, "berth.proxy.rules[0].prefix");
        assertRefused(List.of(rule("hub", "ftp://a.example")), null, "berth.proxy.rules[0].upstream");
        assertRefused(List.of(rule("hub", "https://a.example"), rule("hub/library", "https://b.example")), null,
                "berth.proxy.rules[1].prefix: 'hub/library' overlaps the prefix 'hub'");
        assertRefused(List.of(rule("hub", "https://a.example")), rule(null, "https://b.example"),
                "berth.proxy.mirror.upstream");
        assertRefused(List.of(new ProxyProperties.Rule("hub", URI.create("https://a.example"), "user", null,
                Duration.ZERO, Duration.ofSeconds(1), Duration.ofSeconds(1), null)), null,
                "berth.proxy.rules[0].password-file");
        assertRefused(List.of(new ProxyProperties.Rule("hub", URI.create("https://a.example"), "user",
                Path.of("/nonexistent/password"), Duration.ZERO, Duration.ofSeconds(1), Duration.ofSeconds(1), null)),
                null, "berth.proxy.rules[0].password-file: cannot read");
        assertRefused(List.of(evicting("hub", Duration.ofMinutes(30))), null,
                "berth.proxy.rules[0].evict-after: 30m is shorter than 1h");
        assertRefused(List.of(), evicting(null, Duration.ZERO), "berth.proxy.mirror.evict-after");
    }

    @Test
    void eachRuleEvictsAfterItsOwnTimeOrNever() {
        ProxyRules rules = rules(List.of(evicting("hub", Duration.ofDays(30)), rule("ghcr", "https://b.example")),
                null);
        assertThat(rules.evicts()).isTrue();
        assertThat(rules.evictAfter(new RepositoryName("hub/library/alpine"))).hasValue(Duration.ofDays(30));
        assertThat(rules.evictAfter(new RepositoryName("ghcr/org/app"))).isEmpty();
        assertThat(rules.evictAfter(new RepositoryName("team/app"))).as("not cached").isEmpty();
        assertThat(rules.describe()).containsExactly("hub/* <- https://upstream.example (evicted after 30d unpulled)",
                "ghcr/* <- https://b.example");
        assertThat(rules(List.of(rule("hub", "https://a.example")), null).evicts()).isFalse();
        assertThat(rules(List.of(), evicting(null, Duration.ofDays(7))).evictAfter(new RepositoryName("library/alpine")))
                .hasValue(Duration.ofDays(7));
    }

    private static void assertRefused(List<ProxyProperties.Rule> list, ProxyProperties.Rule mirror, String message) {
        assertThatThrownBy(() -> rules(list, mirror)).isInstanceOf(InvalidSettingException.class)
                .hasMessageContaining(message);
    }
}
