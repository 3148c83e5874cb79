package dev.berth.registry.manifest;

import com.fasterxml.jackson.annotation.JsonInclude;
import tools.jackson.databind.JsonNode;

/** One entry of a referrers list: a descriptor of a manifest whose subject is the asked-for manifest. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Referrer(String mediaType, String digest, long size, String artifactType, JsonNode annotations) {
}
