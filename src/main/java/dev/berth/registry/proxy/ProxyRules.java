package dev.berth.registry.proxy;

import dev.berth.registry.RepositoryName;
import dev.berth.registry.gc.CacheEviction;
import dev.berth.registry.gc.RetentionPolicy;
import dev.berth.settings.InvalidSettingException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;

/**
 * Which repositories are cached, and of which upstream: the {@code berth.proxy.*} settings checked at
 * start-up, so a mistake stops Berth with a message naming the property rather than failing the first pull.
 */
@Component
public class ProxyRules {

    /** A prefix rule with its upstream's client; {@code prefix} is empty for the mirror. */
    private record Entry(String prefix, UpstreamRegistry upstream, Duration evictAfter) {
    }

    private final List<Entry> entries = new ArrayList<>();
    private final boolean mirror;

    ProxyRules(ProxyProperties properties, JsonMapper json, Optional<ProxyEvents> events) {
        ProxyEvents observed = events.orElse(ProxyEvents.NONE);
        ProxyProperties.Rule mirrorRule = properties.mirror();
        this.mirror = mirrorRule != null && mirrorRule.upstream() != null;
        if (mirror) {
            if (!properties.rules().isEmpty()) {
                throw new InvalidSettingException("berth.proxy.mirror.upstream", "is set together with"
                        + " berth.proxy.rules; a mirror caches every repository, so no prefix rule can apply",
                        "Set either berth.proxy.mirror.* or berth.proxy.rules, not both.");
            }
            if (mirrorRule.prefix() != null && !mirrorRule.prefix().isEmpty()) {
                throw new InvalidSettingException("berth.proxy.mirror.prefix", "is set; a mirror has no prefix",
                        "Remove it, or make the mirror a rule of berth.proxy.rules.");
            }
            check("berth.proxy.mirror", mirrorRule);
            entries.add(new Entry("", new UpstreamRegistry(mirrorRule, json, observed), mirrorRule.evictAfter()));
            return;
        }
        for (int i = 0; i < properties.rules().size(); i++) {
            ProxyProperties.Rule rule = properties.rules().get(i);
            String property = "berth.proxy.rules[" + i + "]";
            if (rule.prefix() == null || !RepositoryName.isValid(rule.prefix())) {
                throw new InvalidSettingException(property + ".prefix", rule.prefix() == null ? "is not set"
                        : "'" + rule.prefix() + "' is not a repository name",
                        "Set it to the first path segments of the cached repositories, such as hub.");
            }
            for (Entry other : entries) {
                if (covers(other.prefix(), rule.prefix()) || covers(rule.prefix(), other.prefix())) {
                    throw new InvalidSettingException(property + ".prefix", "'" + rule.prefix()
                            + "' overlaps the prefix '" + other.prefix() + "' of an earlier rule",
                            "Give every rule a prefix no other rule's starts with.");
                }
            }
            check(property, rule);
            entries.add(new Entry(rule.prefix(), new UpstreamRegistry(rule, json, observed), rule.evictAfter()));
        }
    }

    /** The cached repository {@code name} is, if a rule (or the mirror) covers it. */
    public Optional<CachedRepository> find(RepositoryName name) {
        return entry(name).map(entry -> new CachedRepository(name, entry.prefix().isEmpty() ? name.value()
                : name.value().substring(entry.prefix().length() + 1), entry.upstream()));
    }

    /** How long the content of {@code name} may go unpulled before it is evicted; empty: not cached, or kept. */
    public Optional<Duration> evictAfter(RepositoryName name) {
        return entry(name).map(Entry::evictAfter);
    }

    /** Whether any rule evicts content not pulled for a while. */
    public boolean evicts() {
        return entries.stream().anyMatch(entry -> entry.evictAfter() != null);
    }

    private Optional<Entry> entry(RepositoryName name) {
        for (Entry entry : entries) {
            if (entry.prefix().isEmpty() || name.value().startsWith(entry.prefix() + "/")) {
                return Optional.of(entry);
            }
        }
        return Optional.empty();
    }

    public boolean enabled() {
        return !entries.isEmpty();
    }

    public boolean isMirror() {
        return mirror;
    }

    /** Each prefix ("" for the mirror) with its upstream's URL, for the start-up summary. */
    public List<String> describe() {
        return entries.stream().map(e -> (e.prefix().isEmpty() ? "*" : e.prefix() + "/*") + " <- "
                + e.upstream().baseUrl() + (e.evictAfter() == null ? ""
                        : " (evicted after " + RetentionPolicy.format(e.evictAfter()) + " unpulled)")).toList();
    }

    private static boolean covers(String prefix, String candidate) {
        return candidate.equals(prefix) || candidate.startsWith(prefix + "/");
    }

    private static void check(String property, ProxyProperties.Rule rule) {
        if (rule.upstream() == null) {
            throw new InvalidSettingException(property + ".upstream", "is not set",
                    "Set it to the upstream registry's URL, such as https://registry.example.com.");
        }
        String scheme = rule.upstream().getScheme();
        if (!("http".equals(scheme) || "https".equals(scheme)) || rule.upstream().getHost() == null
                || rule.upstream().getRawQuery() != null || rule.upstream().getRawFragment() != null) {
            throw new InvalidSettingException(property + ".upstream", "'" + rule.upstream()
                    + "' is not an http or https URL of a registry",
                    "Set it to the registry's base URL, without /v2/, a query or a fragment.");
        }
        if ((rule.username() == null) != (rule.passwordFile() == null)) {
            throw new InvalidSettingException(property + (rule.username() == null ? ".username" : ".password-file"),
                    "is not set, but the other half of the upstream's credentials is",
                    "Set both username and password-file, or neither for anonymous pulls.");
        }
        if (rule.passwordFile() != null && !Files.isReadable(rule.passwordFile())) {
            throw new InvalidSettingException(property + ".password-file", "cannot read "
                    + rule.passwordFile().toAbsolutePath(), "Mount the Secret there, readable by Berth's user.");
        }
        if (rule.tagTtl().isNegative() || rule.connectTimeout().isNegative() || rule.connectTimeout().isZero()
                || rule.readTimeout().isNegative() || rule.readTimeout().isZero()) {
            throw new InvalidSettingException(property, "tag-ttl is negative or a timeout is not positive",
                    "Set tag-ttl to 0 or more, connect-timeout and read-timeout above 0.");
        }
        if (rule.evictAfter() != null && rule.evictAfter().compareTo(CacheEviction.RECORDED_EVERY) < 0) {
            throw new InvalidSettingException(property + ".evict-after", RetentionPolicy.format(rule.evictAfter())
                    + " is shorter than " + RetentionPolicy.format(CacheEviction.RECORDED_EVERY) + ", how often a pull is"
                    + " recorded", "Set it to days, such as 30d, or leave it unset to keep cached content.");
        }
    }
}
