package dev.berth.registry.manifest;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;
import java.util.regex.Pattern;

/** Which {@code urls} a descriptor may carry: {@link ManifestProperties.Urls}, compiled once. */
final class ForeignUrlPolicy {

    private final List<Pattern> allow;
    private final List<Pattern> deny;

    ForeignUrlPolicy(ManifestProperties.Urls urls) {
        this.allow = urls.allow().stream().map(Pattern::compile).toList();
        this.deny = urls.deny().stream().map(Pattern::compile).toList();
    }

    /** Why {@code url} is refused, or null when it is accepted. */
    String refusal(String url) {
        URI parsed;
        try {
            parsed = new URI(url);
        } catch (URISyntaxException e) {
            return "is not a URL";
        }
        if (!"http".equalsIgnoreCase(parsed.getScheme()) && !"https".equalsIgnoreCase(parsed.getScheme())) {
            return "is not an http(s) URL";
        }
        if (parsed.getRawFragment() != null) {
            return "has a fragment";
        }
        if (allow.stream().noneMatch(p -> p.matcher(url).find())) {
            return allow.isEmpty() ? "is refused: this registry accepts no foreign URLs (berth.manifests.urls.allow)"
                    : "matches no pattern of berth.manifests.urls.allow";
        }
        if (deny.stream().anyMatch(p -> p.matcher(url).find())) {
            return "matches a pattern of berth.manifests.urls.deny";
        }
        return null;
    }
}
