package dev.berth.registry.events;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.net.URI;
import java.net.URISyntaxException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A CloudEvent 1.0 in structured JSON mode, one per request: Distribution's event as {@code data}, its id as
 * the CloudEvent's, so every copy of an event carries the same {@code source} and {@code id} and a consumer
 * drops duplicates as the CloudEvents spec has it. Built from the stored event alone, so whichever replica
 * sends it, and however often, the CloudEvent is the same.
 */
final class CloudEventEncoding implements EventEncoding {

    static final String MEDIA_TYPE = "application/cloudevents+json; charset=UTF-8";
    /** {@code type} is this and Distribution's action in the past tense: {@code dev.berth.registry.pushed}. */
    static final String TYPE_PREFIX = "dev.berth.registry.";

    /**
     * The attributes this encoding sets, in the order written; {@code data} last, as the spec's examples have it.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonPropertyOrder({"specversion", "id", "source", "type", "subject", "time", "datacontenttype", "data"})
    record CloudEvent(String specversion, String id, String source, String type, String subject, String time,
            String datacontenttype, JsonNode data) {
    }

    private final JsonMapper json;
    private final String source;

    /** {@code source}: {@code berth.notifications.cloudevents-source}, or null for {@code /berth/<host>}. */
    CloudEventEncoding(JsonMapper json, String source) {
        this.json = json;
        this.source = source;
    }

    @Override
    public String mediaType() {
        return MEDIA_TYPE;
    }

    @Override
    public byte[] body(byte[] event) {
        JsonNode data = json.readTree(event);
        JsonNode target = data.path("target");
        return json.writeValueAsBytes(new CloudEvent("1.0", data.path("id").asString(), sourceOf(data),
                TYPE_PREFIX + pastTense(data.path("action").asString()), subjectOf(target),
                data.path("timestamp").asString(null), "application/json", data));
    }

    /**
     * The configured source, else {@code /berth/} and the host the request named: the registry as its clients
     * know it, the same for every copy of the event. Escaped where a path may not hold the host as it is (the
     * brackets of an IPv6 address).
     */
    private String sourceOf(JsonNode event) {
        if (source != null) {
            return source;
        }
        String host = event.path("request").path("host").asString("");
        try {
            return new URI(null, null, "/berth/" + (host.isBlank() ? "registry" : host), null).toASCIIString();
        } catch (URISyntaxException e) {
            return "/berth/registry";
        }
    }

    /** {@code repository:tag} when a tag was named, else {@code repository@digest}. */
    private static String subjectOf(JsonNode target) {
        String repository = target.path("repository").asString("");
        String tag = target.path("tag").asString(null);
        if (tag != null) {
            return repository + ":" + tag;
        }
        String digest = target.path("digest").asString(null);
        return digest == null ? repository : repository + "@" + digest;
    }

    private static String pastTense(String action) {
        return switch (action) {
            case "push" -> "pushed";
            case "pull" -> "pulled";
            case "delete" -> "deleted";
            case "mount" -> "mounted";
            default -> action;
        };
    }
}
