package dev.berth.registry.events;

/**
 * What an event tells about the request that caused it, supplied by whoever served the request (the registry
 * API, the web UI); the registry itself knows no HTTP.
 *
 * @param id the request's id ({@code X-Request-Id} when the client or a proxy sent one)
 * @param addr the client's address and port
 * @param host the host the client asked for
 * @param method the HTTP method
 * @param userAgent the client's {@code User-Agent}
 * @param actor the user its credentials proved, or null when anonymous
 * @param baseUrl {@code scheme://host} as the client reached the registry, for the links events carry
 */
public record RequestFacts(String id, String addr, String host, String method, String userAgent, String actor,
        String baseUrl) {
}
