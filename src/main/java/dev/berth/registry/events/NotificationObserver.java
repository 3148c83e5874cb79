package dev.berth.registry.events;

import java.time.Duration;

/** What happens to notifications, for whoever observes them (metrics). Called after the fact; must not block. */
public interface NotificationObserver {

    NotificationObserver NONE = new NotificationObserver() {
    };

    /** The endpoint answered 2xx; {@code latency}: from the event to the answer. */
    default void delivered(String endpoint, Duration latency) {
    }

    /** One attempt failed (no answer in time, or not 2xx). */
    default void failed(String endpoint) {
    }

    /** An event older than the endpoint's {@code max-age} was deleted undelivered. */
    default void gaveUp(String endpoint) {
    }

    /** Events waiting in the store for {@code endpoint}, as a sweep counted them (bounded). */
    default void pending(String endpoint, long events) {
    }
}
