package dev.berth.registry.manifest;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import dev.berth.registry.Digest;
import tools.jackson.databind.JsonNode;

/**
 * One entry of a referrers list: a descriptor of a manifest whose subject is the asked-for manifest. Stored as
 * JSON with {@code artifactType} first, so a filter can decide on an entry without reading all of it.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"artifactType", "mediaType", "digest", "size", "annotations"})
public record Referrer(String mediaType, String digest, long size, String artifactType, JsonNode annotations) {

    /** The entry describing {@code manifest}, stored as {@code digest}, {@code size} bytes long. */
    static Referrer of(Digest digest, ParsedManifest manifest, long size) {
        return new Referrer(manifest.mediaType(), digest.toString(), size, manifest.effectiveArtifactType(),
                manifest.annotations());
    }
}
