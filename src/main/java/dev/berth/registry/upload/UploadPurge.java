package dev.berth.registry.upload;

import dev.berth.registry.Digest;
import dev.berth.registry.RegistryException;
import dev.berth.registry.RepositoryName;
import dev.berth.registry.StoreLease;
import dev.berth.registry.StorePaths;
import dev.berth.storage.StorageDriver;
import dev.berth.storage.VersionConflictException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Service;
import tools.jackson.databind.json.JsonMapper;

/**
 * Deletes the data of uploads past the timeout policy. Every replica may run it: a lease in the store lets
 * one run at a time. It only ever deletes folders under a repository's {@code _uploads}, and only those of
 * expired uploads, so live uploads and committed blobs are never touched.
 */
@Service
public class UploadPurge {

    private static final Logger log = LoggerFactory.getLogger(UploadPurge.class);

    private final StorageDriver store;
    private final UploadStates states;
    private final UploadProperties properties;
    private final UploadExpiry expiry;
    private final UploadEvents events;
    private final Clock clock;
    private final StoreLease lock;

    private final UploadCommit commits;

    public UploadPurge(StorageDriver store, UploadStates states, UploadCommit commits, UploadProperties properties,
            JsonMapper json, Optional<UploadEvents> events, Optional<Clock> clock) {
        this.store = store;
        this.states = states;
        this.commits = commits;
        this.properties = properties;
        this.expiry = new UploadExpiry(properties);
        this.events = events.orElse(UploadEvents.NONE);
        this.clock = clock.orElse(Clock.systemUTC());
        this.lock = new StoreLease(store, StorePaths.PURGE_LOCK, json, this.clock, UUID.randomUUID().toString());
    }

    public PurgeReport run() {
        Instant start = clock.instant();
        Optional<String> lease = lock.tryAcquire(properties.purge().lockTimeout());
        if (lease.isEmpty()) {
            PurgeReport skipped = PurgeReport.skipped(start);
            events.purgeFinished(skipped);
            return skipped;
        }
        try {
            Tally tally = new Tally();
            walk(StorePaths.REPOSITORIES, "", tally);
            PurgeReport report = new PurgeReport(start, Duration.between(start, clock.instant()), true,
                    properties.purge().dryRun(), tally.scanned, tally.deleted, tally.bytes, tally.finished);
            log.info("upload purge{}: {} uploads scanned, {} expired deleted, {} bytes reclaimed, {} abandoned"
                    + " commits finished", report.dryRun() ? " (dry run)" : "", report.scanned(), report.deleted(),
                    report.bytesReclaimed(), report.commitsFinished());
            events.purgeFinished(report);
            return report;
        } finally {
            lock.release(lease.get());
        }
    }

    private void walk(String folder, String name, Tally tally) {
        for (String child : store.list(folder)) {
            if (child.equals("_uploads") && RepositoryName.isValid(name)) {
                purgeRepository(new RepositoryName(name), tally);
            } else if (child.equals("_uploads_closed") && RepositoryName.isValid(name)) {
                purgeClosedMarkers(new RepositoryName(name));
            } else if (!child.startsWith("_")) {
                walk(folder + "/" + child, name.isEmpty() ? child : name + "/" + child, tally);
            }
        }
    }

    private void purgeRepository(RepositoryName repository, Tally tally) {
        for (String id : store.list(StorePaths.uploads(repository))) {
            tally.scanned++;
            Optional<UploadStates.Saved> saved = states.peek(repository, id);
            Optional<UploadState> state = saved.map(UploadStates.Saved::state);
            if (state.isPresent() && !state.get().isOpen()) {
                endLeftover(repository, id, saved.get(), tally);
                continue;
            }
            Optional<String> expired;
            long bytes;
            if (state.isPresent()) {
                expired = expiry.expired(state.get().startedAt(), state.get().updatedAt(), clock.instant());
                bytes = state.get().size();
            } else {
                // An upload of Distribution's (or a half-deleted one): only its start time is known.
                Optional<Instant> startedAt = startedAt(repository, id);
                expired = startedAt.isEmpty()
                        ? Optional.of(UploadExpiry.MAX_AGE)
                        : expiry.expiredByAge(startedAt.get(), clock.instant());
                bytes = store.stat(StorePaths.upload(repository, id) + "/data").map(info -> info.size()).orElse(0L);
            }
            if (expired.isEmpty()) {
                continue;
            }
            if (!properties.purge().dryRun()) {
                store.delete(StorePaths.upload(repository, id));
                events.expired(expired.get());
            }
            tally.deleted++;
            tally.bytes += bytes;
        }
    }

    /**
     * An upload whose commit began and whose client gave up (a replica died, and nobody repeated the commit
     * within the idle timeout) is finished: its digest was verified, so its blob is linked as the client
     * meant. One whose data is gone is removed. An upload that was committed or cancelled but whose folder
     * stayed (a replica died while closing it) is closed.
     */
    private void endLeftover(RepositoryName repository, String id, UploadStates.Saved saved, Tally tally) {
        UploadState state = saved.state();
        if (properties.purge().dryRun()) {
            return;
        }
        if (!state.isCommitting()) {
            try {
                commits.close(repository, id, state, saved.version());
            } catch (VersionConflictException busy) {
                // The request that committed or cancelled it is closing it itself right now.
            }
            return;
        }
        if (expiry.expired(state.startedAt(), state.updatedAt(), clock.instant()).isEmpty()) {
            return; // a commit in progress, or one its client may still repeat
        }
        try {
            commits.finish(repository, id, state, saved.version(), Digest.parse(state.digest()));
            tally.finished++;
        } catch (RegistryException gone) {
            store.delete(StorePaths.upload(repository, id));
        } catch (VersionConflictException busy) {
            // Another request finished it meanwhile.
        }
    }

    /** Markers of closed uploads whose ids have expired anyway (so cannot come back) have done their job. */
    private void purgeClosedMarkers(RepositoryName repository) {
        if (properties.purge().dryRun()) {
            return;
        }
        Instant now = clock.instant();
        for (String id : store.list(StorePaths.closedUploads(repository))) {
            Optional<Instant> opened = UploadId.openedAt(id, repository);
            if (opened.isEmpty() || expiry.expired(opened.get(), opened.get(), now).isPresent()) {
                store.delete(StorePaths.closedUpload(repository, id));
            }
        }
    }

    private Optional<Instant> startedAt(RepositoryName repository, String id) {
        return store.readBytes(StorePaths.uploadStartedAt(repository, id)).flatMap(bytes -> {
            try {
                return Optional.of(Instant.parse(new String(bytes, StandardCharsets.UTF_8).trim()));
            } catch (DateTimeParseException e) {
                return Optional.empty();
            }
        });
    }

    private static final class Tally {
        int scanned;
        int deleted;
        long bytes;
        int finished;
    }
}
