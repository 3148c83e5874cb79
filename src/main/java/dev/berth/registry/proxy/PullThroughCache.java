package dev.berth.registry.proxy;

import dev.berth.registry.Digest;
import dev.berth.registry.Documents;
import dev.berth.registry.ErrorCode;
import dev.berth.registry.RegistryException;
import dev.berth.registry.RepositoryName;
import dev.berth.registry.blob.BlobInfo;
import dev.berth.registry.blob.BlobService;
import dev.berth.registry.manifest.ManifestProperties;
import dev.berth.registry.manifest.ManifestService;
import dev.berth.registry.manifest.StoredManifest;
import dev.berth.registry.tag.TagService;
import dev.berth.registry.upload.UploadService;
import dev.berth.storage.StorageDriver;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Service;
import tools.jackson.databind.json.JsonMapper;

/**
 * Serves the repositories {@link ProxyRules} caches: what the store has is served from it; what it lacks is
 * fetched from the upstream, verified against its digest and stored the way a push stores it (a regular
 * manifest, tag and blob of the repository, shared by every replica and collected like any other). A cached
 * tag is checked against the upstream with a {@code HEAD} once its time to live has passed, and served as it
 * is when the upstream cannot answer. Digests never expire.
 */
@Service
public class PullThroughCache {

    private static final Logger log = LoggerFactory.getLogger(PullThroughCache.class);
    /** A repository served stale is reported in the log at most this often. */
    private static final Duration WARN_INTERVAL = Duration.ofMinutes(1);
    private static final int MAX_WARNED = 10_000;
    /** The longest a request waits for another replica's fetch of the same blob. */
    static final Duration MAX_WAIT = Duration.ofMinutes(5);
    private static final Duration WAIT_POLL = Duration.ofMillis(500);

    private final ProxyRules rules;
    private final ManifestService manifests;
    private final TagService tags;
    private final BlobService blobs;
    private final UploadService uploads;
    private final Documents documents;
    private final ManifestProperties manifestLimits;
    private final TagChecks checks;
    private final PullRecords pulls;
    private final ProxyEvents events;
    private final Clock clock;
    private final Map<RepositoryName, Instant> lastWarned = new ConcurrentHashMap<>();
    private final StorageDriver store;
    private final JsonMapper json;
    /** Whose fetch lease is whose. */
    private final String replicaId = UUID.randomUUID().toString();

    PullThroughCache(ProxyRules rules, ManifestService manifests, TagService tags, BlobService blobs,
            UploadService uploads, Documents documents, ManifestProperties manifestLimits, TagChecks checks,
            PullRecords pulls, StorageDriver store, JsonMapper json, Optional<ProxyEvents> events,
            Optional<Clock> clock) {
        this.store = store;
        this.json = json;
        this.rules = rules;
        this.manifests = manifests;
        this.tags = tags;
        this.blobs = blobs;
        this.uploads = uploads;
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

    /** What a blob request of a cached repository finds. */
    public record BlobLookup(Optional<BlobInfo> local, long upstreamSize) {
    }

    /**
     * The blob when the store has it for this repository (a blob another repository fetched is linked
     * here once the upstream confirms this repository has it); otherwise, for a {@code HEAD}, its size
     * upstream, from a {@code HEAD} there; for a {@code GET}, nothing yet: {@link #fetchBlob} streams it.
     */
    public BlobLookup findBlob(CachedRepository repository, Digest digest, boolean head) {
        Optional<BlobInfo> linked = blobs.find(repository.name(), digest);
        if (linked.isPresent()) {
            events.hit(ProxyEvents.Kind.BLOB);
            return new BlobLookup(linked, -1);
        }
        Optional<BlobInfo> stored = blobs.findStored(digest);
        if (stored.isEmpty() && !head) {
            return new BlobLookup(Optional.empty(), -1);
        }
        long size;
        try (UpstreamRegistry.Answer answer = repository.upstream()
                .fetch(repository.upstreamName(), "blobs", digest.toString(), true)
                .orElseThrow(() -> unknownBlob(repository, digest))) {
            size = answer.contentLength();
        }
        if (stored.isPresent()) {
            blobs.link(repository.name(), digest);
            events.hit(ProxyEvents.Kind.BLOB);
            return new BlobLookup(stored, size);
        }
        return new BlobLookup(Optional.empty(), size);
    }

    /** Where a fetched blob goes to the client: opened once the upstream answered, with the blob's size. */
    @FunctionalInterface
    public interface BlobSink {
        /** @param size the blob's size, or -1 when the upstream did not say */
        OutputStream open(long size) throws IOException;
    }

    /**
     * Streams the blob from the upstream to the client while it is written into the store through an ordinary
     * upload of the repository: it is stored (and linked) only if its digest matches, and the client receives
     * its last byte only then ({@link HeldBackCopy}). Memory stays bounded by the upload's buffers. One
     * replica at a time fetches a blob ({@link FetchLease}): a request that finds another fetching it waits,
     * at most {@link #MAX_WAIT}, for the blob to appear in the store, and returns it to be served from there
     * (empty: the blob was streamed to the sink).
     */
    public Optional<BlobInfo> fetchBlob(CachedRepository repository, Digest digest, BlobSink sink)
            throws IOException {
        long deadline = System.nanoTime() + MAX_WAIT.toNanos();
        boolean counted = false;
        while (true) {
            Optional<FetchLease> lease = FetchLease.tryAcquire(store, json, clock, replicaId, digest);
            if (lease.isPresent()) {
                try {
                    if (blobs.findStored(digest).isPresent()) {
                        // Stored by another replica between our look and our claim.
                        return findBlob(repository, digest, true).local();
                    }
                    stream(repository, digest, sink, lease.get());
                    return Optional.empty();
                } finally {
                    lease.get().release();
                }
            }
            if (!counted) {
                events.sharedFetchWaited();
                counted = true;
            }
            if (blobs.findStored(digest).isPresent()) {
                return findBlob(repository, digest, true).local();
            }
            if (System.nanoTime() - deadline > 0) {
                throw new UpstreamException(0, "another replica has been fetching " + digest + " for longer than "
                        + MAX_WAIT.toSeconds() + " s");
            }
            try {
                Thread.sleep(WAIT_POLL.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new UpstreamException(0, "interrupted while waiting for another replica's fetch");
            }
        }
    }

    private void stream(CachedRepository repository, Digest digest, BlobSink sink, FetchLease lease)
            throws IOException {
        events.miss(ProxyEvents.Kind.BLOB);
        UpstreamRegistry.Answer answer = repository.upstream()
                .fetch(repository.upstreamName(), "blobs", digest.toString(), false)
                .orElseThrow(() -> unknownBlob(repository, digest));
        try (answer) {
            long size = answer.contentLength();
            HeldBackCopy copy = new HeldBackCopy(answer.body(), sink.open(size), lease::progress);
            try {
                uploads.uploadWhole(repository.name(), digest, copy, size);
            } catch (RegistryException e) {
                if (e instanceof UpstreamException || e.code() == ErrorCode.UNAVAILABLE
                        || e.code() == ErrorCode.TOOMANYREQUESTS) {
                    throw e;
                }
                // The upload refused what the upstream sent: cut off, too short or long, or another digest.
                events.upstreamError(0);
                throw new UpstreamException(0, "the upstream's blob " + digest + " of " + repository.upstreamName()
                        + " was not stored: " + e.getMessage());
            } finally {
                events.upstreamBytes(copy.count());
            }
            copy.release();
        }
    }

    private static RegistryException unknownManifest(CachedRepository repository, String reference) {
        return new RegistryException(ErrorCode.MANIFEST_UNKNOWN, "manifest " + reference + " is not known in "
                + repository.name() + " nor upstream", reference);
    }

    private static RegistryException unknownBlob(CachedRepository repository, Digest digest) {
        return new RegistryException(ErrorCode.BLOB_UNKNOWN, "blob " + digest + " is not known in "
                + repository.name() + " nor upstream", digest.toString());
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
