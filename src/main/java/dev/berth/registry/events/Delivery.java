package dev.berth.registry.events;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One attempt to hand an event of the outbox to its endpoint: POSTs it in the endpoint's format (Distribution's
 * envelope or a CloudEvent, {@link EventEncoding}), deletes it from the
 * outbox once the endpoint answered 2xx, and gives it up (deleted, counted, logged) once it is older than the
 * endpoint's {@code max-age}. Header values are never logged.
 */
final class Delivery {

    private static final Logger log = LoggerFactory.getLogger(Delivery.class);

    enum Outcome {
        /** The endpoint took it (2xx); it is gone from the outbox. */
        DELIVERED,
        /** Older than {@code max-age}: deleted undelivered. */
        GAVE_UP,
        /** No answer in time, or not 2xx: it stays in the outbox. */
        FAILED
    }

    private final HttpClient http;
    private final Outbox outbox;
    private final NotificationObserver observer;
    private final Clock clock;

    Delivery(HttpClient http, Outbox outbox, NotificationObserver observer, Clock clock) {
        this.http = http;
        this.outbox = outbox;
        this.observer = observer;
        this.clock = clock;
    }

    Outcome attempt(ConfiguredEndpoint endpoint, Outbox.Entry entry) {
        Duration age = Duration.between(entry.time(), clock.instant());
        if (age.compareTo(endpoint.settings().maxAge()) > 0) {
            outbox.delete(entry);
            observer.gaveUp(endpoint.name());
            log.warn("notification {} to endpoint {} given up undelivered: it is {} old, older than max-age {}",
                    entry.path(), endpoint.name(), age.withNanos(0), endpoint.settings().maxAge());
            return Outcome.GAVE_UP;
        }
        if (!post(endpoint, entry.content())) {
            observer.failed(endpoint.name());
            return Outcome.FAILED;
        }
        observer.delivered(endpoint.name(), Duration.between(entry.time(), clock.instant()));
        outbox.delete(entry);
        return Outcome.DELIVERED;
    }

    private boolean post(ConfiguredEndpoint endpoint, byte[] event) {
        EventEncoding encoding = endpoint.encoding();
        HttpRequest.Builder request = HttpRequest.newBuilder(endpoint.settings().url())
                .timeout(endpoint.settings().timeout())
                .header("Content-Type", encoding.mediaType())
                .POST(HttpRequest.BodyPublishers.ofByteArray(encoding.body(event)));
        for (Map.Entry<String, String> header : endpoint.headers().entrySet()) {
            request.header(header.getKey(), header.getValue());
        }
        try {
            int status = http.send(request.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
            if (status / 100 == 2) {
                return true;
            }
            log.debug("notification endpoint {} answered {}", endpoint.name(), status);
            return false;
        } catch (IOException e) {
            log.debug("notification endpoint {} failed: {}", endpoint.name(), e.toString());
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
