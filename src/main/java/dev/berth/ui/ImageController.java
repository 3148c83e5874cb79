package dev.berth.ui;

import dev.berth.registry.Digest;
import dev.berth.registry.RepositoryName;
import dev.berth.registry.catalog.RepositoryCatalog;
import dev.berth.registry.manifest.ReferrersPage;
import dev.berth.registry.manifest.ReferrersService;
import dev.berth.registry.proxy.PullThroughCache;
import jakarta.servlet.http.HttpServletRequest;
import java.util.ArrayList;
import java.util.List;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * One manifest, by digest: an image's layers and config, an index's children, and a page of its referrers
 * (signatures, SBOMs, attestations), each linking to its own page.
 */
@Controller
@UiEnabled
class ImageController {

    static final int REFERRERS_PAGE = 50;

    private final RepositoryCatalog catalog;
    private final ImageReader images;
    private final ReferrersService referrers;
    private final UiSessions sessions;
    private final UiProperties properties;
    private final JsonMapper json;
    private final PullThroughCache cache;

    ImageController(RepositoryCatalog catalog, ImageReader images, ReferrersService referrers, UiSessions sessions,
            UiProperties properties, JsonMapper json, PullThroughCache cache) {
        this.cache = cache;
        this.catalog = catalog;
        this.images = images;
        this.referrers = referrers;
        this.sessions = sessions;
        this.properties = properties;
        this.json = json;
    }

    /** One referrer as the referrers list describes it. */
    record ReferrerRow(String digest, String artifactType, String mediaType, long size, String created) {
    }

    @GetMapping("/ui/image")
    String image(@RequestParam(required = false) String name, @RequestParam(required = false) String digest,
            @RequestParam(required = false) String after, HttpServletRequest request, Model model) {
        Viewer viewer = sessions.viewer(request);
        RepositoryName repository = RepositoryController.visibleRepository(name, viewer, catalog);
        Digest manifest = ImageReader.digest(UiRequests.text(digest, "the digest"));
        ImageView image = images.read(repository, manifest.toString(), true, true);

        String from = UiRequests.text(after, "the referrers cursor");
        ReferrersPage page = referrers.page(repository, manifest, from == null || from.isEmpty() ? null : from,
                REFERRERS_PAGE);
        List<ReferrerRow> rows = new ArrayList<>();
        referrers.descriptors(repository, manifest, page, null, bytes -> rows.add(referrer(bytes)));

        String reference = UiRequests.publicHost(properties, request) + "/" + repository.value() + "@" + image.digest();
        model.addAttribute("viewer", viewer);
        model.addAttribute("name", repository.value());
        model.addAttribute("image", image);
        model.addAttribute("referrers", rows);
        model.addAttribute("referrersNext", page.resumeAfter());
        model.addAttribute("docker", "docker pull " + reference);
        model.addAttribute("podman", "podman pull " + reference);
        model.addAttribute("mayDelete", viewer.mayDelete(repository.value()) && cache.find(repository).isEmpty());
        return "ui/image";
    }

    private ReferrerRow referrer(byte[] descriptor) {
        try {
            JsonNode node = json.readTree(descriptor);
            JsonNode created = node.path("annotations").path("org.opencontainers.image.created");
            return new ReferrerRow(node.path("digest").asString(""), node.path("artifactType").asString(""),
                    node.path("mediaType").asString(""), node.path("size").asLong(0),
                    created.isString() ? created.asString() : null);
        } catch (JacksonException e) {
            return new ReferrerRow("", "(unreadable)", "", 0, null);
        }
    }
}
