package dev.berth.registry.events;

/** How an endpoint wants its events written ({@code berth.notifications.endpoints[].format}). */
public enum NotificationFormat {
    /** Distribution's envelope, {@code application/vnd.docker.distribution.events.v1+json}. */
    DISTRIBUTION,
    /** One CloudEvent 1.0 per request, in structured JSON mode ({@code application/cloudevents+json}). */
    CLOUDEVENTS
}
