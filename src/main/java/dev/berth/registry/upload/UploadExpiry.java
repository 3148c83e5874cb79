package dev.berth.registry.upload;

import java.time.Instant;
import java.util.Optional;

/** The timeout policy: which of the limits, if any, an upload has passed. */
record UploadExpiry(UploadProperties properties) {

    static final String IDLE = "idle";
    static final String MAX_AGE = "max-age";

    /** The limit passed ({@link #IDLE} or {@link #MAX_AGE}), or empty while the upload is live. */
    Optional<String> expired(Instant startedAt, Instant updatedAt, Instant now) {
        if (startedAt.plus(properties.maxAge()).isBefore(now)) {
            return Optional.of(MAX_AGE);
        }
        if (updatedAt.plus(properties.idleTimeout()).isBefore(now)) {
            return Optional.of(IDLE);
        }
        return Optional.empty();
    }

    /** For uploads whose last activity is unknown: only the age limit applies. */
    Optional<String> expiredByAge(Instant startedAt, Instant now) {
        return startedAt.plus(properties.maxAge()).isBefore(now) ? Optional.of(MAX_AGE) : Optional.empty();
    }

    String describe(String reason) {
        return reason.equals(IDLE)
                ? "it received no data for longer than " + properties.idleTimeout()
                : "it is older than " + properties.maxAge();
    }
}
