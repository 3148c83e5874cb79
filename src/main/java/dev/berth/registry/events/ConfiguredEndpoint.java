package dev.berth.registry.events;

import dev.berth.registry.RepositoryName;
import dev.berth.registry.gc.Glob;
import java.util.List;
import java.util.Map;

/** An endpoint as configured, with its headers read (from the file too) and its patterns compiled. */
record ConfiguredEndpoint(NotificationProperties.Endpoint settings, Map<String, String> headers,
        List<Glob> repositories) {

    /** {@code index}: the endpoint's place in {@code berth.notifications.endpoints}. */
    static ConfiguredEndpoint of(NotificationProperties.Endpoint settings, int index) {
        return new ConfiguredEndpoint(settings, Map.copyOf(NotificationProperties.headersOf(settings, index)),
                settings.repositories().stream().map(Glob::new).toList());
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
