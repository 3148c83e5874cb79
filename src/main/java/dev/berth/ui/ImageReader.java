package dev.berth.ui;

import dev.berth.registry.Digest;
import dev.berth.registry.ErrorCode;
import dev.berth.registry.RegistryException;
import dev.berth.registry.RepositoryName;
import dev.berth.registry.blob.BlobInfo;
import dev.berth.registry.blob.BlobService;
import dev.berth.registry.manifest.Descriptor;
import dev.berth.registry.manifest.ManifestService;
import dev.berth.registry.manifest.ParsedManifest;
import dev.berth.registry.manifest.StoredManifest;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.springframework.stereotype.Component;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * Reads a manifest and its image config through the registry services, for the pages. Bounded: a manifest
 * is at most {@code berth.manifests.max-size} (the service holds it under the memory budget while it is
 * read); a config is read only up to {@link #MAX_CONFIG} bytes, and shown as too large beyond; lists taken
 * from them are cut at {@link #MAX_ROWS} entries.
 */
@Component
@UiEnabled
class ImageReader {

    /** Image configs are a few KiB; one larger than this is not read for the page. */
    static final int MAX_CONFIG = 1024 * 1024;
    static final int MAX_ROWS = 500;

    private final ManifestService manifests;
    private final BlobService blobs;
    private final JsonMapper json;

    ImageReader(ManifestService manifests, BlobService blobs, JsonMapper json) {
        this.manifests = manifests;
        this.blobs = blobs;
        this.json = json;
    }

    /**
     * The manifest {@code reference} (a tag or digest) names; {@code withConfig}: also read its config blob,
     * {@code withJson}: also keep the manifest pretty-printed.
     */
    ImageView read(RepositoryName repository, String reference, boolean withConfig, boolean withJson) {
        try (StoredManifest stored = manifests.get(repository, reference, List.of())) {
            byte[] content = stored.content();
            ParsedManifest parsed;
            JsonNode root;
            try {
                parsed = ParsedManifest.parse(content, null, json);
                root = json.readTree(content);
            } catch (RegistryException | JacksonException e) {
                throw new RegistryException(ErrorCode.MANIFEST_UNKNOWN, "manifest " + stored.digest()
                        + " is stored but cannot be read", reference);
            }
            List<ImageView.DescriptorRow> layers = parsed.layers().stream().limit(MAX_ROWS).map(ImageReader::row).toList();
            List<ImageView.ChildRow> children = new ArrayList<>();
            JsonNode listed = root.path("manifests");
            for (int i = 0; i < parsed.children().size() && i < MAX_ROWS; i++) {
                Descriptor child = parsed.children().get(i);
                children.add(new ImageView.ChildRow(child.digest().toString(), child.mediaType(), child.size(),
                        platform(listed.path(i).path("platform"))));
            }
            Long compressed = null;
            if (!parsed.isIndex()) {
                long sum = parsed.config() == null ? 0 : parsed.config().size();
                for (Descriptor layer : parsed.layers()) {
                    sum += layer.size();
                }
                compressed = sum;
            }
            ConfigView config = withConfig && parsed.config() != null ? config(repository, parsed.config()) : null;
            String pretty = withJson ? json.writer(SerializationFeature.INDENT_OUTPUT).writeValueAsString(root) : null;
            return new ImageView(stored.digest().toString(), stored.mediaType(), content.length, parsed.isIndex(),
                    parsed.artifactType(), parsed.subject() == null ? null : parsed.subject().digest().toString(),
                    layers, parsed.config() == null ? null : row(parsed.config()), children, compressed, config, pretty);
        }
    }

    private ConfigView config(RepositoryName repository, Descriptor descriptor) {
        if (descriptor.size() > MAX_CONFIG) {
            return ConfigView.unreadable("too large to show (" + descriptor.size() + " bytes; the page reads at most "
                    + MAX_CONFIG + ")");
        }
        Optional<BlobInfo> blob = blobs.find(repository, descriptor.digest());
        if (blob.isEmpty()) {
            return ConfigView.unreadable("not in the repository");
        }
        if (blob.get().size() > MAX_CONFIG) {
            return ConfigView.unreadable("too large to show (" + blob.get().size() + " bytes)");
        }
        JsonNode root;
        try (InputStream in = blobs.open(descriptor.digest(), 0)) {
            byte[] bytes = in.readNBytes(MAX_CONFIG + 1);
            if (bytes.length > MAX_CONFIG) {
                return ConfigView.unreadable("too large to show");
            }
            root = json.readTree(bytes);
        } catch (IOException | JacksonException e) {
            return ConfigView.unreadable("not a JSON document");
        }
        if (root == null || !root.isObject()) {
            return ConfigView.unreadable("not an image config");
        }
        JsonNode inner = root.path("config");
        Map<String, String> labels = new LinkedHashMap<>();
        JsonNode labelNode = inner.path("Labels");
        if (labelNode.isObject()) {
            for (Map.Entry<String, JsonNode> label : labelNode.properties()) {
                if (labels.size() >= MAX_ROWS) {
                    break;
                }
                labels.put(label.getKey(), text(label.getValue()));
            }
        }
        List<ConfigView.History> history = new ArrayList<>();
        JsonNode steps = root.path("history");
        for (int i = 0; i < steps.size() && i < MAX_ROWS; i++) {
            JsonNode step = steps.path(i);
            history.add(new ConfigView.History(text(step.path("created")), text(step.path("created_by")),
                    step.path("empty_layer").asBoolean(false)));
        }
        return new ConfigView(null, text(root.path("created")), platform(root), strings(inner.path("Entrypoint")),
                strings(inner.path("Cmd")), strings(inner.path("Env")), labels, history, steps.size() > MAX_ROWS);
    }

    /** {@code os/architecture/variant} of a platform object (an index entry's, or a config's top level). */
    static String platform(JsonNode node) {
        String os = text(node.path("os"));
        String architecture = text(node.path("architecture"));
        if (os == null && architecture == null) {
            return null;
        }
        String variant = text(node.path("variant"));
        return (os == null ? "?" : os) + "/" + (architecture == null ? "?" : architecture)
                + (variant == null ? "" : "/" + variant);
    }

    private static List<String> strings(JsonNode array) {
        List<String> result = new ArrayList<>();
        for (int i = 0; i < array.size() && i < MAX_ROWS; i++) {
            String value = text(array.path(i));
            if (value != null) {
                result.add(value);
            }
        }
        return result;
    }

    private static String text(JsonNode node) {
        return node == null || node.isMissingNode() || node.isNull() ? null
                : node.isString() ? node.asString() : node.toString();
    }

    private static ImageView.DescriptorRow row(Descriptor descriptor) {
        return new ImageView.DescriptorRow(descriptor.digest().toString(), descriptor.mediaType(), descriptor.size());
    }

    /** A digest the request names, or a 404 for anything that is not one. */
    static Digest digest(String value) {
        try {
            if (value != null && Digest.looksLikeDigest(value)) {
                return Digest.parse(value);
            }
        } catch (RuntimeException e) {
            // falls through to unknown
        }
        throw new RegistryException(ErrorCode.MANIFEST_UNKNOWN, "no such manifest", value);
    }
}
