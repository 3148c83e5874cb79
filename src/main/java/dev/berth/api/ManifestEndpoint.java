package dev.berth.api;

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

/** {@code /v2/<name>/manifests/<reference>}: push, pull (with content negotiation) and delete. */
@Component
class ManifestEndpoint {

    private final ManifestService manifests;
    private final PullThroughCache cache;

    ManifestEndpoint(ManifestService manifests, PullThroughCache cache) {
        this.manifests = manifests;
        this.cache = cache;
    }

    void get(RegistryRoute route, HttpServletRequest request, HttpServletResponse response, boolean headOnly)
            throws IOException {
        Optional<CachedRepository> cached = cache.find(route.name());
        List<String> accepted = acceptedTypes(request);
        try (StoredManifest manifest = cached.isPresent() ? cache.manifest(cached.get(), route.reference(), accepted)
                : manifests.get(route.name(), route.reference(), accepted)) {
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
        response.setStatus(HttpServletResponse.SC_CREATED);
        response.setHeader("Location", "/v2/" + route.name() + "/manifests/" + pushed.digest());
        response.setHeader("Docker-Content-Digest", pushed.digest().toString());
        if (pushed.subject() != null) {
            response.setHeader("OCI-Subject", pushed.subject().toString());
        }
        response.setContentLength(0);
    }

    void delete(RegistryRoute route, HttpServletResponse response) {
        manifests.delete(route.name(), route.reference());
        response.setStatus(HttpServletResponse.SC_ACCEPTED);
        response.setContentLength(0);
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
