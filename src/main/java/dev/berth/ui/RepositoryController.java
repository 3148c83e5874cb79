package dev.berth.ui;

import dev.berth.registry.ErrorCode;
import dev.berth.registry.Page;
import dev.berth.registry.RegistryException;
import dev.berth.registry.RepositoryName;
import dev.berth.registry.catalog.RepositoryCatalog;
import dev.berth.registry.proxy.PullThroughCache;
import dev.berth.registry.tag.TagService;
import jakarta.servlet.http.HttpServletRequest;
import java.util.ArrayList;
import java.util.List;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;

/**
 * One repository: a page of its tags, each with what it names (digest, media type, platforms of an index,
 * compressed size, creation time from the config) and the commands that pull it. A page of tags costs one
 * manifest and one config read per tag, so it holds at most {@link #MAX_PAGE} tags.
 */
@Controller
@UiEnabled
class RepositoryController {

    static final int DEFAULT_PAGE = 20;
    static final int MAX_PAGE = 50;

    private final RepositoryCatalog catalog;
    private final TagService tags;
    private final ImageReader images;
    private final UiSessions sessions;
    private final UiProperties properties;
    private final PullThroughCache cache;

    RepositoryController(RepositoryCatalog catalog, TagService tags, ImageReader images, UiSessions sessions,
            UiProperties properties, PullThroughCache cache) {
        this.cache = cache;
        this.catalog = catalog;
        this.tags = tags;
        this.images = images;
        this.sessions = sessions;
        this.properties = properties;
    }

    /** One tag and what it names; {@code image} null when the tag broke off (its manifest is gone). */
    record TagRow(String tag, ImageView image, String problem, String docker, String podman) {
    }

    @GetMapping("/ui/repository")
    String repository(@RequestParam(required = false) String name, @RequestParam(required = false) String last,
            @RequestParam(required = false) String n, @RequestParam(required = false) String deleted,
            HttpServletRequest request, Model model) {
        Viewer viewer = sessions.viewer(request);
        RepositoryName repository = visibleRepository(name, viewer, catalog);
        String after = UiRequests.text(last, "the page cursor");
        int size = UiRequests.pageSize(n, DEFAULT_PAGE, MAX_PAGE);
        Page page = tags.page(repository, after, size);
        String host = UiRequests.publicHost(properties, request);
        List<TagRow> rows = new ArrayList<>();
        for (String tag : page.items()) {
            String reference = host + "/" + repository.value() + ":" + tag;
            try {
                rows.add(new TagRow(tag, images.read(repository, tag, true, false), null, "docker pull " + reference,
                        "podman pull " + reference));
            } catch (RegistryException e) {
                if (e.isRegistryFault()) {
                    throw e;
                }
                rows.add(new TagRow(tag, null, "its manifest is not in the repository", "docker pull " + reference,
                        "podman pull " + reference));
            }
        }
        model.addAttribute("viewer", viewer);
        model.addAttribute("name", repository.value());
        model.addAttribute("rows", rows);
        model.addAttribute("n", size);
        model.addAttribute("next", page.more() ? page.lastItem() : null);
        model.addAttribute("first", after == null || after.isEmpty());
        model.addAttribute("mayDelete", viewer.mayDelete(repository.value()) && cache.find(repository).isEmpty());
        model.addAttribute("deleted", UiRequests.text(deleted, "the deleted reference"));
        return "ui/repository";
    }

    /**
     * The repository a page is about, when it exists and the viewer may pull it; otherwise the page is a 404,
     * so that names the viewer may not see are not told apart from names that do not exist.
     */
    static RepositoryName visibleRepository(String name, Viewer viewer, RepositoryCatalog catalog) {
        RepositoryName repository = UiRequests.repository(name);
        viewer.lookUpRepository(repository.value());
        if (!viewer.mayPull(repository.value()) || !catalog.exists(repository)) {
            throw new RegistryException(ErrorCode.NAME_UNKNOWN, "no such repository", repository.value());
        }
        return repository;
    }
}
