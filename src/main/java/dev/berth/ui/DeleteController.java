package dev.berth.ui;

import dev.berth.registry.Digest;
import dev.berth.registry.ErrorCode;
import dev.berth.registry.RegistryException;
import dev.berth.registry.RepositoryName;
import dev.berth.registry.catalog.RepositoryCatalog;
import dev.berth.registry.events.RegistryNotifications;
import dev.berth.registry.manifest.ManifestService;
import dev.berth.registry.proxy.PullThroughCache;
import dev.berth.registry.tag.TagService;
import jakarta.servlet.http.HttpServletRequest;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.util.UriComponentsBuilder;

/**
 * Deleting a tag, or a manifest by digest (with every tag naming it), as {@code DELETE /v2/<name>/manifests/<reference>}
 * does: first a page asking to confirm, then its POST form, which carries a token signed over the viewer's
 * cookie and the action, so no other site can make a signed-in browser delete anything. Only a viewer with
 * delete rights on the repository sees the form or may post it.
 */
@Controller
@UiEnabled
class DeleteController {

    private final RepositoryCatalog catalog;
    private final ManifestService manifests;
    private final TagService tags;
    private final UiSessions sessions;
    private final RegistryNotifications notifications;
    private final PullThroughCache cache;

    DeleteController(RepositoryCatalog catalog, ManifestService manifests, TagService tags, UiSessions sessions,
            RegistryNotifications notifications, PullThroughCache cache) {
        this.cache = cache;
        this.catalog = catalog;
        this.manifests = manifests;
        this.tags = tags;
        this.sessions = sessions;
        this.notifications = notifications;
    }

    @GetMapping("/ui/delete")
    String confirm(@RequestParam(required = false) String name, @RequestParam(required = false) String reference,
            HttpServletRequest request, Model model) {
        Viewer viewer = sessions.viewer(request);
        RepositoryName repository = RepositoryController.visibleRepository(name, viewer, catalog);
        String target = reference(reference);
        requireDeleteRights(viewer, repository);
        boolean exists = Digest.looksLikeDigest(target)
                ? manifests.find(repository, Digest.parse(target)).isPresent()
                : tags.resolve(repository, target).isPresent();
        if (!exists) {
            throw new RegistryException(ErrorCode.MANIFEST_UNKNOWN, "no such tag or manifest", target);
        }
        model.addAttribute("viewer", viewer);
        model.addAttribute("name", repository.value());
        model.addAttribute("reference", target);
        model.addAttribute("byDigest", Digest.looksLikeDigest(target));
        model.addAttribute("token", sessions.formToken(request, action(repository, target)));
        return "ui/delete";
    }

    @PostMapping("/ui/delete")
    String delete(@RequestParam(required = false) String name, @RequestParam(required = false) String reference,
            @RequestParam(required = false) String token, HttpServletRequest request) {
        Viewer viewer = sessions.viewer(request);
        RepositoryName repository = RepositoryController.visibleRepository(name, viewer, catalog);
        String target = reference(reference);
        requireDeleteRights(viewer, repository);
        if (!sessions.formIsGenuine(request, action(repository, target), token)) {
            throw new RegistryException(ErrorCode.DENIED, "this delete was not confirmed on this registry's own page;"
                    + " open the tag's page and delete it from there");
        }
        manifests.delete(repository, target);
        // As the API's DELETE does: the event is in the store before the answer.
        if (Digest.looksLikeDigest(target)) {
            notifications.manifestDeleted(repository, Digest.parse(target), UiRequestFacts.of(request, viewer));
        } else {
            notifications.tagDeleted(repository, target, UiRequestFacts.of(request, viewer));
        }
        return "redirect:" + UriComponentsBuilder.fromPath("/ui/repository").queryParam("name", repository.value())
                .queryParam("deleted", target).encode().build().toUriString();
    }

    /** The viewer's rights, and a repository that takes deletes: a cached one is read-only, as over the API. */
    private void requireDeleteRights(Viewer viewer, RepositoryName repository) {
        if (!viewer.mayDelete(repository.value())) {
            throw new RegistryException(ErrorCode.DENIED, viewer.signedIn()
                    ? "you may not delete in " + repository.value()
                    : "sign in to delete in " + repository.value());
        }
        cache.requireWritable(repository);
    }

    private static String reference(String value) {
        String reference = UiRequests.text(value, "the reference");
        if (reference != null && Digest.looksLikeDigest(reference)) {
            return ImageReader.digest(reference).toString();
        }
        if (reference == null || !TagService.isValid(reference)) {
            throw new RegistryException(ErrorCode.MANIFEST_UNKNOWN, "no such tag", reference);
        }
        return reference;
    }

    private static String action(RepositoryName repository, String reference) {
        return "delete\n" + repository.value() + "\n" + reference;
    }
}
