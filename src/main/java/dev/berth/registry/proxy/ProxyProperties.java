package dev.berth.registry.proxy;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The pull-through cache: repositories whose content Berth fetches from another registry on first pull and
 * keeps in its own store, shared by every replica. Either {@code rules} (each caches the repositories under
 * one prefix) or {@code mirror} (one upstream for every repository, as Docker's {@code registry-mirrors}
 * expects); checked at start-up by {@link ProxyRules}.
 *
 * @param rules prefix rules: {@code hub/library/alpine} is {@code library/alpine} of the rule with prefix
 *     {@code hub}
 * @param mirror the one upstream of a registry that mirrors it whole (its {@code prefix} stays unset)
 */
@ConfigurationProperties("berth.proxy")
public record ProxyProperties(@DefaultValue List<Rule> rules, Rule mirror) {

    /**
     * One upstream registry.
     *
     * @param prefix the first path segments of the repositories it caches (unset for the mirror)
     * @param upstream the upstream registry's base URL, {@code http} or {@code https}
     * @param username the user to sign in to the upstream with (with {@code passwordFile}); unset: anonymous
     * @param passwordFile a file holding the password (a mounted Secret), read at each sign-in, never logged
     * @param tagTtl how long a cached tag is served before it is checked against the upstream again
     * @param connectTimeout how long to wait for a connection to the upstream
     * @param readTimeout how long to wait for the upstream's answer, and for each part of its body
     * @param evictAfter garbage collection deletes cached tags and manifests not pulled for this long (and
     *     then their blobs); unset: cached content is kept for ever
     */
    public record Rule(String prefix, URI upstream, String username, Path passwordFile,
            @DefaultValue("5m") Duration tagTtl, @DefaultValue("5s") Duration connectTimeout,
            @DefaultValue("60s") Duration readTimeout, Duration evictAfter) {
    }
}
