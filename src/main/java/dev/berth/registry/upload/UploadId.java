package dev.berth.registry.upload;

import dev.berth.registry.RepositoryName;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Upload ids are time-ordered UUIDs (version 7) that say when and in which repository the upload was opened:
 * 48 bits of the opening millisecond, 32 bits of a hash of the repository name and 42 random bits. So
 * opening an upload needs no write to the store at all, a session that never receives data costs nothing,
 * and an id is not taken for an upload of another repository. Ids of other forms (random UUIDs of earlier
 * Berth builds, Distribution's) are still served while their state is in the store.
 */
final class UploadId {

    private static final Pattern FORM = Pattern.compile("[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}");
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final long TAG_BITS = 0xffffffffL;

    private UploadId() {
    }

    static String create(RepositoryName repository, Clock clock) {
        long millis = clock.millis();
        long high = (millis << 16) | 0x7000L | (RANDOM.nextLong() & 0x0fffL);
        long random = RANDOM.nextLong() & 0x3fffffffL;
        long low = 0x8000000000000000L | (random << 32) | tag(repository);
        return new UUID(high, low).toString();
    }

    static boolean isWellFormed(String id) {
        return FORM.matcher(id).matches();
    }

    /** When the upload was opened, for ids Berth made that way for this repository; empty for any other id. */
    static Optional<Instant> openedAt(String id, RepositoryName repository) {
        if (!isWellFormed(id)) {
            return Optional.empty();
        }
        UUID uuid = UUID.fromString(id);
        if (uuid.version() != 7 || uuid.variant() != 2 || (uuid.getLeastSignificantBits() & TAG_BITS) != tag(repository)) {
            return Optional.empty();
        }
        return Optional.of(Instant.ofEpochMilli(uuid.getMostSignificantBits() >>> 16));
    }

    private static long tag(RepositoryName repository) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(repository.value().getBytes(StandardCharsets.UTF_8));
            return ((hash[0] & 0xffL) << 24) | ((hash[1] & 0xffL) << 16) | ((hash[2] & 0xffL) << 8) | (hash[3] & 0xffL);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
