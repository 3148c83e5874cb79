package dev.berth.api;

import dev.berth.registry.Digest;
import dev.berth.registry.Page;
import dev.berth.registry.catalog.RepositoryCatalog;
import dev.berth.registry.manifest.MediaTypes;
import dev.berth.registry.manifest.ReferrersPage;
import dev.berth.registry.manifest.ReferrersService;
import dev.berth.registry.tag.TagService;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;

/**
 * The listings: tags of a repository, the catalog of repositories, and the referrers of a manifest. Every
 * answer is one bounded page; a {@code Link: <...>; rel="next"} header leads to the next.
 */
@Component
class ListingEndpoint {

    private final TagService tags;
    private final RepositoryCatalog catalog;
    private final ReferrersService referrers;
    private final JsonMapper json;
    private final ListingProperties limits;

    ListingEndpoint(TagService tags, RepositoryCatalog catalog, ReferrersService referrers, JsonMapper json,
            ListingProperties limits) {
        this.tags = tags;
        this.catalog = catalog;
        this.referrers = referrers;
        this.json = json;
        this.limits = limits;
    }

    void tags(RegistryRoute route, HttpServletRequest request, HttpServletResponse response) throws IOException {
        QueryParameters query = QueryParameters.of(request);
        catalog.requireExists(route.name());
        int n = pageSize(query.count("n"), limits.maxPageSize());
        Page page = tags.page(route.name(), query.get("last"), n);
        link(response, "/v2/" + route.name() + "/tags/list", page, n);
        write(response, "application/json", Map.of("name", route.name().value(), "tags", page.items()));
    }

    void catalog(HttpServletRequest request, HttpServletResponse response) throws IOException {
        QueryParameters query = QueryParameters.of(request);
        int n = pageSize(query.count("n"), Math.min(limits.catalogPageSize(), limits.maxPageSize()));
        Page page = catalog.page(query.get("last"), n);
        link(response, "/v2/_catalog", page, n);
        write(response, "application/json", Map.of("repositories", page.items()));
    }

    void referrers(RegistryRoute route, HttpServletRequest request, HttpServletResponse response) throws IOException {
        Digest subject = Digest.parse(route.reference());
        QueryParameters query = QueryParameters.of(request);
        String artifactType = query.get("artifactType");
        ReferrersPage page = referrers.page(route.name(), subject, query.get("last"), limits.maxPageSize());
        if (artifactType != null) {
            response.setHeader("OCI-Filters-Applied", "artifactType");
        }
        if (page.resumeAfter() != null) {
            String next = "/v2/" + route.name() + "/referrers/" + subject + "?last=" + page.resumeAfter()
                    + (artifactType == null ? ""
                            : "&artifactType=" + URLEncoder.encode(artifactType, StandardCharsets.UTF_8));
            response.setHeader("Link", "<" + next + ">; rel=\"next\"");
        }
        response.setStatus(HttpServletResponse.SC_OK);
        response.setContentType(MediaTypes.OCI_INDEX);
        // The stored descriptors are JSON already: streamed into the index as they are, one at a time.
        OutputStream out = response.getOutputStream();
        out.write(("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_INDEX + "\",\"manifests\":[")
                .getBytes(StandardCharsets.UTF_8));
        boolean[] first = {true};
        referrers.descriptors(route.name(), subject, page, artifactType, descriptor -> {
            try {
                if (!first[0]) {
                    out.write(',');
                }
                out.write(descriptor);
                first[0] = false;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        out.write("]}".getBytes(StandardCharsets.UTF_8));
    }

    /** The client's {@code n}, or {@code whenAbsent}, never above the largest page. */
    private int pageSize(Integer n, int whenAbsent) {
        return Math.min(n == null ? whenAbsent : n, limits.maxPageSize());
    }

    private static void link(HttpServletResponse response, String path, Page page, int n) {
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
