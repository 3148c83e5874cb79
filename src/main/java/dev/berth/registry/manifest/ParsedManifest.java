package dev.berth.registry.manifest;

import dev.berth.registry.Digest;
import dev.berth.registry.ErrorCode;
import dev.berth.registry.RegistryException;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The parts of a manifest the registry must understand: its media type, what it references (config and
 * layers, or child manifests), its subject and artifact type. Everything else stays in the stored bytes.
 */
public record ParsedManifest(String mediaType, Descriptor config, List<Descriptor> layers, List<Descriptor> children,
        Descriptor subject, String artifactType, JsonNode annotations) {

    /**
     * Parses and validates a pushed manifest. {@code contentType} is the request's Content-Type without
     * parameters, or null.
     */
    public static ParsedManifest parse(byte[] content, String contentType, JsonMapper json) {
        JsonNode root;
        try {
            root = json.readTree(content);
        } catch (JacksonException e) {
            throw invalid("the manifest is not valid JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            throw invalid("the manifest must be a JSON object");
        }
        JsonNode schemaVersion = root.path("schemaVersion");
        boolean integral = schemaVersion.isIntegralNumber() && schemaVersion.canConvertToInt();
        if (!integral || schemaVersion.asInt() != 2) {
            if (integral && schemaVersion.asInt() == 1) {
                throw invalid("Docker image manifest schema 1 is deprecated and not supported; push schema 2 or OCI");
            }
            throw invalid("schemaVersion must be 2");
        }
        String declared = optionalString(root, "mediaType");
        String mediaType = resolveMediaType(declared, contentType, root);
        String artifactType = optionalString(root, "artifactType");
        Descriptor subject = root.has("subject") ? descriptor(root.get("subject"), "subject") : null;
        JsonNode annotations = root.path("annotations").isObject() ? root.get("annotations") : null;
        if (MediaTypes.INDEXES.contains(mediaType)) {
            return new ParsedManifest(mediaType, null, List.of(), descriptors(root, "manifests"), subject,
                    artifactType, annotations);
        }
        if (!root.path("config").isObject()) {
            throw invalid("an image manifest needs a config descriptor");
        }
        return new ParsedManifest(mediaType, descriptor(root.get("config"), "config"), descriptors(root, "layers"),
                List.of(), subject, artifactType, annotations);
    }

    /** The media type of a manifest that was already accepted (reading from the store). */
    public static String storedMediaType(byte[] content, JsonMapper json) {
        try {
            JsonNode root = json.readTree(content);
            String declared = optionalString(root, "mediaType");
            return declared != null ? declared : inferMediaType(root);
        } catch (JacksonException | RegistryException e) {
            return MediaTypes.OCI_MANIFEST;
        }
    }

    public boolean isIndex() {
        return MediaTypes.INDEXES.contains(mediaType);
    }

    /** The type shown for this manifest in a referrers list: its artifactType, else its config's media type. */
    public String effectiveArtifactType() {
        if (artifactType != null) {
            return artifactType;
        }
        return config != null ? config.mediaType() : null;
    }

    private static String resolveMediaType(String declared, String contentType, JsonNode root) {
        if (declared != null && contentType != null && !declared.equals(contentType)) {
            throw invalid("the manifest's mediaType " + declared + " does not match the Content-Type " + contentType);
        }
        String mediaType = declared != null ? declared : contentType != null ? contentType : inferMediaType(root);
        if (!MediaTypes.isSupported(mediaType)) {
            throw invalid("manifest media type '" + mediaType + "' is not supported; use "
                    + String.join(", ", List.of(MediaTypes.OCI_MANIFEST, MediaTypes.OCI_INDEX,
                            MediaTypes.DOCKER_MANIFEST, MediaTypes.DOCKER_MANIFEST_LIST)));
        }
        boolean looksLikeIndex = root.has("manifests");
        if (looksLikeIndex != MediaTypes.INDEXES.contains(mediaType)) {
            throw invalid("the manifest's content does not fit its media type " + mediaType);
        }
        return mediaType;
    }

    private static String inferMediaType(JsonNode root) {
        if (root.has("manifests")) {
            return MediaTypes.OCI_INDEX;
        }
        if (root.has("config")) {
            return MediaTypes.OCI_MANIFEST;
        }
        throw invalid("the manifest has no mediaType and is neither an image manifest nor an index");
    }

    private static List<Descriptor> descriptors(JsonNode root, String field) {
        JsonNode array = root.path(field);
        if (array.isMissingNode() || array.isNull()) {
            return List.of();
        }
        if (!array.isArray()) {
            throw invalid("'" + field + "' must be an array of descriptors");
        }
        List<Descriptor> result = new ArrayList<>();
        for (int i = 0; i < array.size(); i++) {
            result.add(descriptor(array.get(i), field + "[" + i + "]"));
        }
        return result;
    }

    private static Descriptor descriptor(JsonNode node, String where) {
        if (!node.isObject()) {
            throw invalid("'" + where + "' must be a descriptor object");
        }
        String digestText = optionalString(node, "digest");
        if (digestText == null) {
            throw invalid("'" + where + "' has no digest");
        }
        Digest digest;
        try {
            digest = Digest.parse(digestText);
        } catch (RegistryException e) {
            throw invalid("'" + where + "' has an invalid digest: " + e.getMessage());
        }
        JsonNode size = node.path("size");
        if (!size.isIntegralNumber() || !size.canConvertToLong() || size.asLong() < 0) {
            throw invalid("'" + where + "' needs a non-negative integer size");
        }
        String mediaType = optionalString(node, "mediaType");
        return new Descriptor(mediaType, digest, size.asLong(), urls(node.path("urls"), where));
    }

    private static List<String> urls(JsonNode urls, String where) {
        if (urls.isMissingNode() || urls.isNull()) {
            return List.of();
        }
        if (!urls.isArray()) {
            throw invalid("'" + where + ".urls' must be an array of URLs");
        }
        List<String> result = new ArrayList<>();
        for (JsonNode url : urls) {
            if (!url.isString()) {
                throw invalid("'" + where + ".urls' must hold strings");
            }
            result.add(url.asString());
        }
        return result;
    }

    private static String optionalString(JsonNode node, String field) {
        JsonNode value = node.path(field);
        if (value.isMissingNode() || value.isNull()) {
            return null;
        }
        if (!value.isString()) {
            throw invalid("'" + field + "' must be a string");
        }
        return value.asString();
    }

    private static RegistryException invalid(String message) {
        return new RegistryException(ErrorCode.MANIFEST_INVALID, message);
    }
}
