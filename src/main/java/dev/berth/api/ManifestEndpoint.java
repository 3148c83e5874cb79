package dev.berth.api;

import dev.berth.registry.Digest;
import dev.berth.registry.events.RegistryNotifications;
import dev.berth.registry.manifest.ManifestService;
import dev.berth.registry.manifest.PushedManifest;
import dev.berth.registry.manifest.StoredManifest;
import dev.berth.registry.proxy.CachedRepository;
import dev.berth.registry.proxy.PullThroughCache;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import org.springframework.stereotype.Component;

/**
 * {@code /v2/<name>/manifests/<reference>}: push, pull (with content negotiation) and delete. Each success is
 * told to {@link RegistryNotifications} before the answer goes out, so its event is in the store by then.
 */
@Component
class ManifestEndpoint {

    private final ManifestService manifests;
    private final RegistryNotifications notifications;
    private final PullThroughCache cache;

    ManifestEndpoint(ManifestService manifests, RegistryNotifications notifications, PullThroughCache cache) {
        this.manifests = manifests;
        this.notifications = notifications;
        this.cache = cache;
    }

    void get(RegistryRoute route, HttpServletRequest request, HttpServletResponse response, boolean headOnly)
            throws IOException {
        Optional<CachedRepository> cached = cache.find(route.name());
        List<String> accepted = acceptedTypes(request);
        try (StoredManifest manifest = cached.isPresent() ? cache.manifest(cached.get(), route.reference(), accepted)
                : manifests.get(route.name(), route.reference(), accepted)) {
            if (!headOnly) {
                notifications.manifestPulled(route.name(), tagOf(route), manifest.digest(), manifest.mediaType(),
                        manifest.content().length, RequestFactsOf.request(request));
            }
            response.setStatus(HttpServletResponse.SC_OK);
            response.setContentType(manifest.mediaType());
            response.setContentLength(manifest.content().length);
            response.setHeader("Docker-Content-Digest", manifest.digest().toString());
            response.setHeader("ETag", "\"" + manifest.digest() + "\"");
            if (!headOnly) {
                response.getOutputStream().write(manifest.content());
            }
        }
    }

    void put(RegistryRoute route, HttpServletRequest request, HttpServletResponse response) throws IOException {
        PushedManifest pushed = manifests.put(route.name(), route.reference(), mediaType(request.getContentType()),
                request.getInputStream(), request.getContentLengthLong());
        notifications.manifestPushed(route.name(), tagOf(route), pushed.digest(), pushed.mediaType(), pushed.size(),
                RequestFactsOf.request(request));
        response.setStatus(HttpServletResponse.SC_CREATED);
        response.setHeader("Location", "/v2/" + route.name() + "/manifests/" + pushed.digest());
        response.setHeader("Docker-Content-Digest", pushed.digest().toString());
        if (pushed.subject() != null) {
            response.setHeader("OCI-Subject", pushed.subject().toString());
        }
        response.setContentLength(0);
    }

    void delete(RegistryRoute route, HttpServletRequest request, HttpServletResponse response) {
        manifests.delete(route.name(), route.reference());
        String tag = tagOf(route);
        if (tag != null) {
            notifications.tagDeleted(route.name(), tag, RequestFactsOf.request(request));
        } else {
            notifications.manifestDeleted(route.name(), Digest.parse(route.reference()), RequestFactsOf.request(request));
        }
        response.setStatus(HttpServletResponse.SC_ACCEPTED);
        response.setContentLength(0);
    }

    /** The tag the route names, or null when it names a digest. */
    private static String tagOf(RegistryRoute route) {
        return Digest.looksLikeDigest(route.reference()) ? null : route.reference();
    }

    /** The media types of every Accept header, without parameters; empty when the client sent none. */
    private static List<String> acceptedTypes(HttpServletRequest request) {
        List<String> types = new ArrayList<>();
        for (String header : Collections.list(request.getHeaders("Accept"))) {
            for (String part : header.split(",")) {
                String type = mediaType(part);
                if (type != null) {
                    types.add(type);
                }
            }
        }
        return types;
    }

    private static String mediaType(String headerValue) {
        if (headerValue == null) {
            return null;
        }
        int semicolon = headerValue.indexOf(';');
        String type = (semicolon < 0 ? headerValue : headerValue.substring(0, semicolon)).trim().toLowerCase();
        return type.isEmpty() ? null : type;
    }
}
