package dev.berth.api;

import dev.berth.registry.proxy.PullThroughCache;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.stereotype.Component;

/**
 * The single entry of the {@code /v2} API: hands the request to the endpoint of the route that
 * {@link RouteParsingFilter} parsed (repository names contain slashes, which path patterns cannot capture
 * mid-path). {@link RegistryServlet} calls it directly, without Spring MVC's handler lookup and argument
 * resolution, which the registry's one route table does not need and which cost a fair share of a small
 * request's time.
 */
@Component
public class RegistryController {

    private final BlobEndpoint blobs;
    private final UploadEndpoint uploads;
    private final ManifestEndpoint manifests;
    private final ListingEndpoint listings;
    private final PullThroughCache cache;

    public RegistryController(BlobEndpoint blobs, UploadEndpoint uploads, ManifestEndpoint manifests,
            ListingEndpoint listings, PullThroughCache cache) {
        this.blobs = blobs;
        this.uploads = uploads;
        this.manifests = manifests;
        this.listings = listings;
        this.cache = cache;
    }

    void handle(HttpServletRequest request, HttpServletResponse response) throws IOException {
        RegistryRoute route = RouteParsingFilter.requireRoute(request);
        String method = request.getMethod();
        switch (route.kind()) {
            case BASE -> {
                requireMethod(method, "GET", "HEAD");
                response.setStatus(HttpServletResponse.SC_OK);
                response.setContentType("application/json");
                response.setContentLength(2);
                response.getOutputStream().print("{}");
            }
            case CATALOG -> {
                requireMethod(method, "GET");
                listings.catalog(request, response);
            }
            case TAGS -> {
                requireMethod(method, "GET");
                listings.tags(route, request, response);
            }
            case REFERRERS -> {
                requireMethod(method, "GET");
                listings.referrers(route, request, response);
            }
            case MANIFEST -> {
                switch (requireMethod(method, "GET", "HEAD", "PUT", "DELETE")) {
                    case "PUT" -> {
                        cache.requireWritable(route.name());
                        manifests.put(route, request, response);
                    }
                    case "DELETE" -> {
                        cache.requireWritable(route.name());
                        manifests.delete(route, request, response);
                    }
                    default -> manifests.get(route, request, response, method.equals("HEAD"));
                }
            }
            case BLOB -> {
                switch (requireMethod(method, "GET", "HEAD", "DELETE")) {
                    case "DELETE" -> {
                        cache.requireWritable(route.name());
                        blobs.delete(route, request, response);
                    }
                    default -> blobs.get(route, request, response, method.equals("HEAD"));
                }
            }
            case UPLOADS -> {
                requireMethod(method, "POST");
                cache.requireWritable(route.name());
                uploads.start(route, request, response);
            }
            case UPLOAD -> {
                requireMethod(method, "GET", "PATCH", "PUT", "DELETE");
                cache.requireWritable(route.name());
                switch (method) {
                    case "PATCH" -> uploads.patch(route, request, response);
                    case "PUT" -> uploads.complete(route, request, response);
                    case "DELETE" -> uploads.cancel(route, response);
                    default -> uploads.status(route, response);
                }
            }
        }
    }

    private static String requireMethod(String method, String... allowed) {
        for (String candidate : allowed) {
            if (candidate.equals(method)) {
                return method;
            }
        }
        throw new MethodNotAllowedException(method, allowed);
    }
}
