package dev.berth.registry.upload;

import dev.berth.registry.ErrorCode;
import java.time.Duration;

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
}
