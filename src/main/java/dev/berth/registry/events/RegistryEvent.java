package dev.berth.registry.events;

/**
 * One event as Distribution's notifications carry it (each in the {@code events} list of an envelope of media
 * type {@code application/vnd.docker.distribution.events.v1+json}); stored as such in the outbox and sent
 * unchanged, so every delivery of an event carries the same id. Fields an action has no value for are left out.
 *
 * @param id unique per event: a consumer drops an event whose id it has seen (deliveries are at least once)
 * @param timestamp when it happened (RFC 3339, UTC)
 * @param action push, pull, delete or mount
 * @param target what it happened to
 * @param request the request that caused it
 * @param actor who made the request, when the request carried credentials
 * @param source the replica that served the request
 */
public record RegistryEvent(String id, String timestamp, EventAction action, Target target, Request request,
        Actor actor, Source source) {

    /**
     * @param mediaType the manifest's or blob's media type, when known
     * @param size its size in bytes, when known
     * @param digest its digest (absent for a tag's deletion)
     * @param length the same as {@code size}, as Distribution sends it
     * @param repository the repository
     * @param fromRepository for a mount, the repository the blob came from
     * @param url where the content can be fetched
     * @param tag the tag pushed, pulled or deleted, when a tag was named
     */
    public record Target(String mediaType, Long size, String digest, Long length, String repository,
            String fromRepository, String url, String tag) {
    }

    public record Request(String id, String addr, String host, String method, String useragent) {
    }

    public record Actor(String name) {
    }

    /**
     * @param addr the replica's host name
     * @param instanceID a random id the replica chose when it started
     */
    public record Source(String addr, String instanceID) {
    }
}
