package dev.berth.registry.upload;

import dev.berth.registry.ErrorCode;
import dev.berth.registry.RegistryException;
import java.time.Duration;
import java.util.function.Supplier;

/**
 * What happens to uploads, for whoever observes them (metrics). Called after the fact; an observer must not
 * fail or block.
 */
public interface UploadEvents {

    UploadEvents NONE = new UploadEvents() {
    };

    default void started() {
    }

    default void chunkReceived(long bytes, Duration duration) {
    }

    default void completed(long size, Duration sinceStart) {
    }

    default void cancelled() {
    }

    default void failed(ErrorCode code) {
    }

    /** {@code reason}: {@code idle} or {@code max-age}. */
    default void expired(String reason) {
    }

    default void requestStarted() {
    }

    default void requestFinished() {
    }

    default void purgeFinished(PurgeReport report) {
    }

    /** Runs one upload request, telling that it is in flight and, if refused, its error code. */
    default <T> T observe(Supplier<T> request) {
        requestStarted();
        try {
            return request.get();
        } catch (RegistryException e) {
            failed(e.code());
            throw e;
        } finally {
            requestFinished();
        }
    }
}
