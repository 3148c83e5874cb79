package dev.berth.registry.events;

import dev.berth.settings.InvalidSettingException;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Where Berth sends notifications of what was pushed, pulled and deleted (docs/notifications.md). Every event
 * is first written to the store, so a replica that dies does not lose it.
 *
 * @param endpoints the receivers; none: no event is written or sent
 * @param queueSize events one replica holds in memory per endpoint for sending right away; past it, events wait
 *     in the store for the sweeper
 * @param sweepInterval how often every replica looks for events in the store that nobody delivered
 * @param sweepAfter an event is left to its writer this long before the sweeper delivers it
 * @param sweepBatch the most events one sweep delivers per endpoint
 * @param lockTimeout how long a replica's claim on sweeping an endpoint lasts if it dies holding it
 * @param cloudeventsSource the {@code source} of the CloudEvents sent to endpoints of format {@code cloudevents}:
 *     a URI reference naming this registry; unset, {@code /berth/<the host the request named>}
 */
@ConfigurationProperties("berth.notifications")
public record NotificationProperties(@DefaultValue List<Endpoint> endpoints, @DefaultValue("1000") int queueSize,
        @DefaultValue("5s") Duration sweepInterval, @DefaultValue("10s") Duration sweepAfter,
        @DefaultValue("100") int sweepBatch, @DefaultValue("2m") Duration lockTimeout, String cloudeventsSource) {

    private static final Pattern NAME = Pattern.compile("[a-z0-9]+(?:[-_][a-z0-9]+)*");

    public NotificationProperties {
        endpoints = endpoints == null ? List.of() : List.copyOf(endpoints);
        positive("berth.notifications.queue-size", queueSize);
        positive("berth.notifications.sweep-batch", sweepBatch);
        positive("berth.notifications.sweep-interval", sweepInterval);
        positive("berth.notifications.sweep-after", sweepAfter);
        positive("berth.notifications.lock-timeout", lockTimeout);
        cloudeventsSource = cloudeventsSource == null || cloudeventsSource.isBlank() ? null : cloudeventsSource.strip();
        checkUriReference("berth.notifications.cloudevents-source", cloudeventsSource);
        Set<String> names = new HashSet<>();
        for (int i = 0; i < endpoints.size(); i++) {
            String property = "berth.notifications.endpoints[" + i + "]";
            Endpoint endpoint = endpoints.get(i);
            check(property, endpoint);
            if (!names.add(endpoint.name())) {
                throw new InvalidSettingException(property + ".name", "'" + endpoint.name()
                        + "' names two endpoints", "give each endpoint a name of its own");
            }
        }
    }

    /**
     * One receiver of events.
     *
     * @param name names the endpoint in the store, metrics and logs: lower-case letters, digits, {@code -}
     * @param url where events are POSTed ({@code http} or {@code https})
     * @param headers headers sent with every request ({@code Authorization}, ...); never logged. A value may
     *     name an environment variable as {@code ${VARIABLE}}
     * @param headersFile a file of further headers, {@code Name: value} a line (a mounted secret); never logged
     * @param actions the actions sent: {@code push}, {@code pull}, {@code delete}, {@code mount}. Each pull
     *     costs a store write, so it is off unless asked for
     * @param repositories repository name patterns whose events are sent ({@code *} within one path component,
     *     {@code **} across components)
     * @param timeout how long one request to the endpoint may take
     * @param backoff the waits between attempts while the endpoint fails, doubling from {@code initial} to
     *     {@code max}
     * @param maxAge an event still not delivered this long after it happened is given up (deleted, counted,
     *     logged)
     * @param format {@code distribution} (Distribution's envelope) or {@code cloudevents} (one CloudEvent per
     *     request)
     */
    public record Endpoint(String name, URI url, @DefaultValue Map<String, String> headers, Path headersFile,
            @DefaultValue({"push", "delete"}) List<EventAction> actions, @DefaultValue("**") List<String> repositories,
            @DefaultValue("5s") Duration timeout, @DefaultValue Backoff backoff, @DefaultValue("24h") Duration maxAge,
            @DefaultValue("distribution") NotificationFormat format) {

        public Endpoint {
            headers = headers == null ? Map.of() : Map.copyOf(headers);
            actions = actions == null ? List.of(EventAction.PUSH, EventAction.DELETE) : List.copyOf(actions);
            repositories = repositories == null ? List.of("**") : List.copyOf(repositories);
            backoff = backoff == null ? new Backoff(Duration.ofSeconds(1), Duration.ofMinutes(5)) : backoff;
            format = format == null ? NotificationFormat.DISTRIBUTION : format;
        }

        @Override
        public String toString() {
            // Header values are secrets: never printed.
            return "Endpoint[" + name + " " + url + ", headers " + headers.keySet()
                    + (headersFile == null ? "" : " and those of " + headersFile) + ", actions " + actions
                    + ", repositories " + repositories + ", format " + format.name().toLowerCase(Locale.ROOT) + "]";
        }
    }

    /**
     * @param initial the first wait after a failed attempt
     * @param max the longest wait
     */
    public record Backoff(@DefaultValue("1s") Duration initial, @DefaultValue("5m") Duration max) {
    }

    private static void check(String property, Endpoint endpoint) {
        if (endpoint.name() == null || !NAME.matcher(endpoint.name()).matches()) {
            throw new InvalidSettingException(property + ".name", endpoint.name() == null ? "not set"
                    : "'" + endpoint.name() + "' is not a name of lower-case letters, digits and dashes",
                    "name the endpoint like ci-scanner: the name is part of store paths and metrics");
        }
        URI url = endpoint.url();
        if (url == null || url.getHost() == null
                || !("http".equalsIgnoreCase(url.getScheme()) || "https".equalsIgnoreCase(url.getScheme()))) {
            throw new InvalidSettingException(property + ".url", url == null ? "not set"
                    : url + " is not an absolute http or https URL", "set the URL events are POSTed to");
        }
        if (endpoint.actions().isEmpty()) {
            throw new InvalidSettingException(property + ".actions", "is empty, so nothing would be sent",
                    "list push, pull, delete or mount, or remove the endpoint");
        }
        if (endpoint.repositories().isEmpty()
                || endpoint.repositories().stream().anyMatch(pattern -> pattern == null || pattern.isBlank())) {
            throw new InvalidSettingException(property + ".repositories", "has no pattern or an empty one",
                    "write patterns such as team/** or ** for every repository");
        }
        positive(property + ".timeout", endpoint.timeout());
        positive(property + ".max-age", endpoint.maxAge());
        positive(property + ".backoff.initial", endpoint.backoff().initial());
        if (endpoint.backoff().max().compareTo(endpoint.backoff().initial()) < 0) {
            throw new InvalidSettingException(property + ".backoff.max", endpoint.backoff().max()
                    + " is shorter than backoff.initial (" + endpoint.backoff().initial() + ")",
                    "set it to at least backoff.initial");
        }
    }

    /**
     * The headers of {@code headers} and of {@code headers-file} (read now, at start), the file's winning.
     * {@code index}: the endpoint's place in the list, for the message when the file cannot be used.
     */
    static Map<String, String> headersOf(Endpoint endpoint, int index) {
        Map<String, String> all = new LinkedHashMap<>(endpoint.headers());
        if (endpoint.headersFile() != null) {
            all.putAll(readHeadersFile(endpoint.headersFile(),
                    "berth.notifications.endpoints[" + index + "].headers-file"));
        }
        return all;
    }

    /** {@code Name: value} lines; blank lines and lines starting with {@code #} are skipped. */
    private static Map<String, String> readHeadersFile(Path file, String property) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (IOException e) {
            throw new InvalidSettingException(property, file + " is not a readable file",
                    "point it at a file of 'Name: value' lines, or remove it", e);
        }
        Map<String, String> headers = new LinkedHashMap<>();
        for (int n = 0; n < lines.size(); n++) {
            String line = lines.get(n).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int colon = line.indexOf(':');
            if (colon <= 0) {
                // The line's text may be a secret: only its number.
                throw new InvalidSettingException(property, "line " + (n + 1) + " of " + file
                        + " is not 'Name: value'", "write one header a line, as 'Authorization: Bearer ...'");
            }
            headers.put(line.substring(0, colon).strip(), line.substring(colon + 1).strip());
        }
        return headers;
    }

    private static void checkUriReference(String property, String value) {
        if (value == null) {
            return;
        }
        try {
            new URI(value);
        } catch (URISyntaxException e) {
            throw new InvalidSettingException(property, "'" + value + "' is not a URI reference",
                    "name this registry, as https://registry.example.com or /berth/prod, or remove it", e);
        }
    }

    private static void positive(String property, int value) {
        if (value < 1) {
            throw new InvalidSettingException(property, value + " is not positive", "set at least 1");
        }
    }

    private static void positive(String property, Duration value) {
        if (value == null || value.isNegative() || value.isZero()) {
            throw new InvalidSettingException(property, value + " is not a positive duration",
                    "set a duration such as 5s");
        }
    }
}
