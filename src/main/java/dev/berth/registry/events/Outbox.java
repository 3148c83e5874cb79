package dev.berth.registry.events;

import dev.berth.registry.StorePaths;
import dev.berth.storage.StorageDriver;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The events not yet delivered, one small object each in the store, per endpoint and hour:
 * {@code berth/notifications/<endpoint>/events/<yyyyMMddHH>/<microseconds>-<event id>.json}. Names sort by the
 * time of the event, so a listing reads them oldest first; one replica's times never repeat nor go back, so its
 * events sort in the order it wrote them.
 */
final class Outbox {

    private static final DateTimeFormatter HOUR = DateTimeFormatter.ofPattern("yyyyMMddHH").withZone(ZoneOffset.UTC);
    /** Digits of the microseconds since 1970 in a name: enough for the next few centuries. */
    private static final int TIME_DIGITS = 17;
    /** Names listed per store request. */
    static final int PAGE = 500;

    private final StorageDriver store;
    private final Clock clock;
    private final AtomicLong lastMicros = new AtomicLong();

    Outbox(StorageDriver store, Clock clock) {
        this.store = store;
        this.clock = clock;
    }

    /** An event in the outbox: where it is, when it happened, and its content (the event's JSON). */
    record Entry(String endpoint, String path, Instant time, byte[] content) {
    }

    /** A time for the next event: never the same as, nor before, this replica's previous one. */
    Instant nextTime() {
        long now = ChronoUnit.MICROS.between(Instant.EPOCH, clock.instant());
        long micros = lastMicros.updateAndGet(last -> Math.max(now, last + 1));
        return Instant.EPOCH.plus(micros, ChronoUnit.MICROS);
    }

    Entry write(String endpoint, Instant time, String eventId, byte[] content) {
        String name = String.format("%0" + TIME_DIGITS + "d", ChronoUnit.MICROS.between(Instant.EPOCH, time))
                + "-" + eventId + ".json";
        String path = bucket(endpoint, HOUR.format(time)) + "/" + name;
        store.writeBytes(path, content);
        return new Entry(endpoint, path, time, content);
    }

    boolean exists(Entry entry) {
        return store.stat(entry.path()).isPresent();
    }

    void delete(Entry entry) {
        store.delete(entry.path());
    }

    /** The hour folders of {@code endpoint}, oldest first. */
    List<String> buckets(String endpoint) {
        return store.list(events(endpoint));
    }

    /** Up to {@code limit} names in one hour folder after {@code startAfter} (null: from the first), oldest first. */
    List<String> names(String endpoint, String bucket, String startAfter, int limit) {
        return store.list(bucket(endpoint, bucket), startAfter, limit);
    }

    /** The event a listing named, or empty when it was delivered meanwhile. */
    Optional<Entry> read(String endpoint, String bucket, String name) {
        String path = bucket(endpoint, bucket) + "/" + name;
        return store.readBytes(path).map(content -> new Entry(endpoint, path, timeOf(name), content));
    }

    /** Removes an hour folder found empty; only for hours long past, which no writer writes into any more. */
    void deleteBucket(String endpoint, String bucket) {
        store.delete(bucket(endpoint, bucket));
    }

    /** The start of the hour a folder holds; the far future for a folder not of this form (never deleted). */
    static Instant bucketStart(String bucket) {
        try {
            return LocalDateTime.of(Integer.parseInt(bucket.substring(0, 4)), Integer.parseInt(bucket.substring(4, 6)),
                    Integer.parseInt(bucket.substring(6, 8)), Integer.parseInt(bucket.substring(8, 10)), 0)
                    .toInstant(ZoneOffset.UTC);
        } catch (RuntimeException e) {
            return Instant.MAX;
        }
    }

    /** When the event a name belongs to happened; the far future for a name not of this form (never swept). */
    static Instant timeOf(String name) {
        try {
            return Instant.EPOCH.plus(Long.parseLong(name.substring(0, TIME_DIGITS)), ChronoUnit.MICROS);
        } catch (RuntimeException e) {
            return Instant.MAX;
        }
    }

    /** How many events wait for {@code endpoint}, counted page by page up to {@code max}. */
    long count(String endpoint, int max) {
        long count = 0;
        for (String bucket : buckets(endpoint)) {
            String after = null;
            List<String> page;
            do {
                page = names(endpoint, bucket, after, PAGE);
                count += page.size();
                after = page.isEmpty() ? null : page.get(page.size() - 1);
            } while (page.size() == PAGE && count < max);
            if (count >= max) {
                return max;
            }
        }
        return count;
    }

    private static String events(String endpoint) {
        return StorePaths.NOTIFICATIONS + "/" + endpoint + "/events";
    }

    private static String bucket(String endpoint, String bucket) {
        return events(endpoint) + "/" + bucket;
    }

    static String sweepLock(String endpoint) {
        return StorePaths.NOTIFICATIONS + "/" + endpoint + "/sweep.lock";
    }
}
