package dev.berth.api;

import dev.berth.registry.Digest;
import dev.berth.registry.Page;
import dev.berth.registry.catalog.RepositoryCatalog;
import dev.berth.registry.manifest.MediaTypes;
import dev.berth.registry.manifest.Referrer;
import dev.berth.registry.manifest.ReferrersService;
import dev.berth.registry.tag.TagService;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;

/** The listings: tags of a repository, the catalog of repositories, and the referrers of a manifest. */
@Component
class ListingEndpoint {

    /** A catalog request without {@code n} gets pages of this size, as Distribution answers. */
    private static final int DEFAULT_CATALOG_PAGE = 100;

    private final TagService tags;
    private final RepositoryCatalog catalog;
    private final ReferrersService referrers;
    private final JsonMapper json;

    ListingEndpoint(TagService tags, RepositoryCatalog catalog, ReferrersService referrers, JsonMapper json) {
        this.tags = tags;
        this.catalog = catalog;
        this.referrers = referrers;
        this.json = json;
    }

    void tags(RegistryRoute route, HttpServletRequest request, HttpServletResponse response) throws IOException {
        QueryParameters query = QueryParameters.of(request.getQueryString());
        catalog.requireExists(route.name());
        Page page = Page.of(tags.list(route.name()), query.count("n"), query.get("last"));
        link(response, "/v2/" + route.name() + "/tags/list", page, query.count("n"));
        write(response, "application/json", Map.of("name", route.name().value(), "tags", page.items()));
    }

    void catalog(HttpServletRequest request, HttpServletResponse response) throws IOException {
        QueryParameters query = QueryParameters.of(request.getQueryString());
        Integer n = query.count("n");
        int limit = n == null ? DEFAULT_CATALOG_PAGE : n;
        Page page = Page.of(catalog.names(), limit, query.get("last"));
        link(response, "/v2/_catalog", page, limit);
        write(response, "application/json", Map.of("repositories", page.items()));
    }

    void referrers(RegistryRoute route, HttpServletRequest request, HttpServletResponse response) throws IOException {
        Digest subject = Digest.parse(route.reference());
        String artifactType = QueryParameters.of(request.getQueryString()).get("artifactType");
        List<Referrer> found = referrers.referrers(route.name(), subject, artifactType);
        if (artifactType != null) {
            response.setHeader("OCI-Filters-Applied", "artifactType");
        }
        write(response, MediaTypes.OCI_INDEX,
                Map.of("schemaVersion", 2, "mediaType", MediaTypes.OCI_INDEX, "manifests", found));
    }

    private static void link(HttpServletResponse response, String path, Page page, Integer n) {
        if (page.more()) {
            response.setHeader("Link", "<" + path + "?n=" + n + "&last="
                    + URLEncoder.encode(page.lastItem(), StandardCharsets.UTF_8) + ">; rel=\"next\"");
        }
    }

    private void write(HttpServletResponse response, String contentType, Object body) throws IOException {
        byte[] bytes = json.writeValueAsBytes(body);
        response.setStatus(HttpServletResponse.SC_OK);
        response.setContentType(contentType);
        response.setContentLength(bytes.length);
        response.getOutputStream().write(bytes);
    }
}
