package dev.berth.registry.events;

import dev.berth.registry.RepositoryName;
import dev.berth.registry.gc.Glob;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.json.JsonMapper;

/**
 * An endpoint as configured, with its headers read (from the file too), its patterns compiled and the encoding
 * of its format.
 */
record ConfiguredEndpoint(NotificationProperties.Endpoint settings, Map<String, String> headers,
        List<Glob> repositories, EventEncoding encoding) {

    /**
     * {@code index}: the endpoint's place in {@code berth.notifications.endpoints}; {@code cloudeventsSource}:
     * {@code berth.notifications.cloudevents-source}.
     */
    static ConfiguredEndpoint of(NotificationProperties.Endpoint settings, int index, JsonMapper json,
            String cloudeventsSource) {
        EventEncoding encoding = switch (settings.format()) {
            case DISTRIBUTION -> new DistributionEnvelope();
            case CLOUDEVENTS -> new CloudEventEncoding(json, cloudeventsSource);
        };
        return new ConfiguredEndpoint(settings, Map.copyOf(NotificationProperties.headersOf(settings, index)),
                settings.repositories().stream().map(Glob::new).toList(), encoding);
    }

    String name() {
        return settings.name();
    }

    boolean wants(EventAction action, RepositoryName repository) {
        return settings.actions().contains(action)
                && repositories.stream().anyMatch(pattern -> pattern.matches(repository.value()));
    }

    @Override
    public String toString() {
        return settings.toString();
    }
}
