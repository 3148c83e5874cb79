package dev.berth.auth;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Counts failed password logins per client address and user, and per client address alone, in fixed
 * windows; past the limit the client waits for the window to end. Bounded: it forgets finished windows, and
 * when it tracks too many clients at once (an attack from many addresses) it starts afresh rather than grow.
 */
final class LoginThrottle {

    /** Clients that have each used up a whole window's failures account for a few MiB at most. */
    static final int MAX_TRACKED = 100_000;
    /** A client may fail this many times as often across all users as for one user. */
    static final int CLIENT_FACTOR = 5;

    private final int maxFailures;
    private final Duration window;
    private final Clock clock;
    private final Map<String, Window> windows = new ConcurrentHashMap<>();

    LoginThrottle(int maxFailures, Duration window, Clock clock) {
        this.maxFailures = maxFailures;
        this.window = window;
        this.clock = clock;
    }

    private record Window(Instant start, int failures) {
    }

    /** How long {@code client} must wait before trying {@code user} again; empty when it may try now. */
    Optional<Duration> wait(String client, String user) {
        if (maxFailures <= 0) {
            return Optional.empty();
        }
        Instant now = clock.instant();
        Optional<Duration> forUser = wait(userKey(client, user), maxFailures, now);
        Optional<Duration> forClient = wait(clientKey(client), maxFailures * CLIENT_FACTOR, now);
        if (forUser.isPresent() && forClient.isPresent()) {
            return Optional.of(forUser.get().compareTo(forClient.get()) > 0 ? forUser.get() : forClient.get());
        }
        return forUser.isPresent() ? forUser : forClient;
    }

    void failed(String client, String user) {
        if (maxFailures <= 0) {
            return;
        }
        Instant now = clock.instant();
        if (windows.size() >= MAX_TRACKED) {
            windows.values().removeIf(w -> !w.start().plus(window).isAfter(now));
            if (windows.size() >= MAX_TRACKED) {
                windows.clear();
            }
        }
        count(userKey(client, user), now);
        count(clientKey(client), now);
    }

    /** A successful login clears that user's failures from that client. */
    void succeeded(String client, String user) {
        windows.remove(userKey(client, user));
    }

    private Optional<Duration> wait(String key, int limit, Instant now) {
        Window current = windows.get(key);
        if (current == null || current.failures() < limit) {
            return Optional.empty();
        }
        Instant end = current.start().plus(window);
        return end.isAfter(now) ? Optional.of(Duration.between(now, end)) : Optional.empty();
    }

    private void count(String key, Instant now) {
        windows.compute(key, (k, current) -> current == null || !current.start().plus(window).isAfter(now)
                ? new Window(now, 1)
                : new Window(current.start(), current.failures() + 1));
    }

    private static String userKey(String client, String user) {
        return "u\n" + client + "\n" + user;
    }

    private static String clientKey(String client) {
        return "c\n" + client;
    }
}
