package dev.berth.registry.proxy;

import dev.berth.registry.Digest;
import dev.berth.registry.Documents;
import dev.berth.registry.ErrorCode;
import dev.berth.registry.RegistryException;
import dev.berth.registry.RepositoryName;
import dev.berth.registry.manifest.ManifestProperties;
import dev.berth.registry.manifest.ManifestService;
import dev.berth.registry.manifest.StoredManifest;
import dev.berth.registry.tag.TagService;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Service;

/**
 * Serves the repositories {@link ProxyRules} caches, their manifests here and their blobs by {@link CachedBlobs}:
 * what the store has is served from it; what it lacks is fetched from the upstream, verified against its
 * digest and stored the way a push stores it (a regular manifest and tag of the repository, shared by every
 * replica and collected like any other). A cached tag is checked against the upstream with a {@code HEAD}
 * once its time to live has passed, and served as it is when the upstream cannot answer. Digests never expire.
 */
@Service
public class PullThroughCache {

    private static final Logger log = LoggerFactory.getLogger(PullThroughCache.class);
    /** A repository served stale is reported in the log at most this often. */
    private static final Duration WARN_INTERVAL = Duration.ofMinutes(1);
    private static final int MAX_WARNED = 10_000;

    private final ProxyRules rules;
    private final ManifestService manifests;
    private final TagService tags;
    private final Documents documents;
    private final ManifestProperties manifestLimits;
    private final TagChecks checks;
    private final PullRecords pulls;
    private final ProxyEvents events;
    private final Clock clock;
    private final Map<RepositoryName, Instant> lastWarned = new ConcurrentHashMap<>();

    PullThroughCache(ProxyRules rules, ManifestService manifests, TagService tags, Documents documents,
            ManifestProperties manifestLimits, TagChecks checks, PullRecords pulls, Optional<ProxyEvents> events,
            Optional<Clock> clock) {
        this.rules = rules;
        this.manifests = manifests;
        this.tags = tags;
        this.documents = documents;
        this.manifestLimits = manifestLimits;
        this.checks = checks;
        this.pulls = pulls;
        this.events = events.orElse(ProxyEvents.NONE);
        this.clock = clock.orElse(Clock.systemUTC());
    }

    /** The cached repository {@code name} is, when a rule covers it. */
    public Optional<CachedRepository> find(RepositoryName name) {
        return rules.find(name);
    }

    /** Refuses a write (push, delete, upload) to a cached repository: it holds only what its upstream has. */
    public void requireWritable(RepositoryName name) {
        Optional<CachedRepository> cached = rules.find(name);
        if (cached.isPresent()) {
            throw new RegistryException(ErrorCode.UNSUPPORTED, "repository " + name + " is a read-only cache of "
                    + cached.get().upstream().baseUrl() + "; push to the upstream instead", name.toString());
        }
    }

    /** The manifest a tag or digest names, fetched first when the store lacks it or the tag is due a check. */
    public StoredManifest manifest(CachedRepository repository, String reference, List<String> accepted) {
        RepositoryName name = repository.name();
        if (Digest.looksLikeDigest(reference)) {
            Digest digest = Digest.parse(reference);
            if (manifests.find(name, digest).isPresent()) {
                events.hit(ProxyEvents.Kind.MANIFEST);
            } else {
                events.miss(ProxyEvents.Kind.MANIFEST);
                fetchManifest(repository, reference, digest, null);
            }
            return pulled(name, manifests.get(name, reference, accepted));
        }
        if (!TagService.isValid(reference)) {
            throw unknownManifest(repository, reference);
        }
        Optional<Digest> cached = tags.resolve(name, reference).filter(d -> manifests.find(name, d).isPresent());
        if (cached.isEmpty()) {
            events.miss(ProxyEvents.Kind.MANIFEST);
            fetchManifest(repository, reference, null, reference);
            checks.checkedNow(name, reference);
        } else if (checks.isFresh(name, reference, repository.upstream().tagTtl())) {
            events.hit(ProxyEvents.Kind.MANIFEST);
        } else {
            recheck(repository, reference, cached.get());
        }
        return pulled(name, manifests.get(name, reference, accepted));
    }

    /** Records the pull (at most hourly), so that garbage collection keeps what is pulled. */
    private StoredManifest pulled(RepositoryName name, StoredManifest manifest) {
        pulls.pulled(name, manifest.digest());
        return manifest;
    }

    /**
     * A {@code HEAD} of the tag upstream (which Docker Hub does not count as a pull): unchanged, the cached
     * manifest is served; moved, the new one is fetched; the upstream failing, the cached one is served stale.
     */
    private void recheck(CachedRepository repository, String tag, Digest cached) {
        RepositoryName name = repository.name();
        Optional<Digest> upstreamDigest;
        try {
            Optional<UpstreamRegistry.Answer> head = repository.upstream().fetch(repository.upstreamName(),
                    "manifests", tag, true);
            if (head.isEmpty()) {
                throw unknownManifest(repository, tag); // the tag is gone upstream; the cached copy stays
            }
            try (UpstreamRegistry.Answer answer = head.get()) {
                upstreamDigest = answer.header("Docker-Content-Digest").filter(Digest::looksLikeDigest)
                        .map(Digest::parse);
            }
        } catch (UpstreamException e) {
            events.staleServed();
            warnStale(name, tag, e);
            return;
        }
        if (upstreamDigest.isPresent() && upstreamDigest.get().equals(cached)) {
            events.hit(ProxyEvents.Kind.MANIFEST);
        } else {
            events.miss(ProxyEvents.Kind.MANIFEST);
            try {
                fetchManifest(repository, upstreamDigest.map(Digest::toString).orElse(tag),
                        upstreamDigest.orElse(null), tag);
            } catch (UpstreamException e) {
                events.staleServed();
                warnStale(name, tag, e);
                return;
            }
        }
        checks.checkedNow(name, tag);
    }

    private void warnStale(RepositoryName name, String tag, UpstreamException e) {
        Instant now = clock.instant();
        Instant last = lastWarned.get(name);
        if (last == null || !now.isBefore(last.plus(WARN_INTERVAL))) {
            if (lastWarned.size() >= MAX_WARNED) {
                lastWarned.clear();
            }
            lastWarned.put(name, now);
            log.warn("serving the cached {}:{} without checking it: {} (reported once a minute per repository)",
                    name, tag, e.getMessage());
        }
    }

    /**
     * Fetches a manifest by tag or digest, checks its digest ({@code expected}, and the upstream's
     * {@code Docker-Content-Digest}), and stores it, tagged {@code tag} when not null.
     */
    private void fetchManifest(CachedRepository repository, String reference, Digest expected, String tag) {
        UpstreamRegistry.Answer answer = repository.upstream()
                .fetch(repository.upstreamName(), "manifests", reference, false)
                .orElseThrow(() -> unknownManifest(repository, reference));
        int limit = (int) manifestLimits.maxSize().toBytes();
        try (answer; Documents.Held held = documents.readBody(answer.body(), answer.contentLength(), limit,
                ManifestService.PARSED_FACTOR + 1)) {
            if (held == null) {
                throw new UpstreamException(0, "the upstream's manifest " + reference + " is larger than"
                        + " berth.manifests.max-size (" + limit + " bytes)");
            }
            byte[] content = held.content();
            events.upstreamBytes(content.length);
            Digest digest = Digest.of(content);
            if (expected != null && !expected.equals(digest)) {
                throw corrupted("manifest " + reference, digest);
            }
            Optional<Digest> announced = answer.header("Docker-Content-Digest").filter(Digest::looksLikeDigest)
                    .map(Digest::parse);
            if (announced.isPresent() && !announced.get().equals(digest)) {
                throw corrupted("manifest " + reference + " (announced as " + announced.get() + ")", digest);
            }
            manifests.storeFetched(repository.name(), tag, content, mediaType(answer.header("Content-Type")));
        } catch (IOException e) {
            events.upstreamError(0);
            throw new UpstreamException(0, "the upstream's manifest " + reference + " broke off: " + e.getMessage());
        }
    }

    private static RegistryException unknownManifest(CachedRepository repository, String reference) {
        return new RegistryException(ErrorCode.MANIFEST_UNKNOWN, "manifest " + reference + " is not known in "
                + repository.name() + " nor upstream", reference);
    }

    private UpstreamException corrupted(String what, Digest actual) {
        events.upstreamError(0);
        return new UpstreamException(0, "the upstream's " + what + " has digest " + actual
                + ", not the one asked for; not stored");
    }

    private static String mediaType(Optional<String> contentType) {
        return contentType.map(type -> {
            int semicolon = type.indexOf(';');
            return (semicolon < 0 ? type : type.substring(0, semicolon)).trim().toLowerCase(Locale.ROOT);
        }).filter(type -> !type.isEmpty()).orElse(null);
    }
}
