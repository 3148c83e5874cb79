package dev.berth.api;

import dev.berth.registry.RepositoryName;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which API route a path under {@code /v2/} names. Repository names contain slashes, so the route is found
 * by its anchored tail, the way Distribution's router does it, and the rest is the name.
 *
 * @param kind the route
 * @param name the repository, or null for the base and catalog routes
 * @param reference the tag, digest or upload id the route ends with, or null
 */
public record RegistryRoute(Kind kind, RepositoryName name, String reference) {

    /** Each route of the API, with the template used for metrics and logs (never the real names). */
    public enum Kind {
        BASE("/v2/"),
        CATALOG("/v2/_catalog"),
        TAGS("/v2/{name}/tags/list"),
        MANIFEST("/v2/{name}/manifests/{reference}"),
        BLOB("/v2/{name}/blobs/{digest}"),
        UPLOADS("/v2/{name}/blobs/uploads/"),
        UPLOAD("/v2/{name}/blobs/uploads/{uuid}"),
        REFERRERS("/v2/{name}/referrers/{digest}");

        private final String template;

        Kind(String template) {
            this.template = template;
        }

        public String template() {
            return template;
        }
    }

    private static final Pattern TAGS = Pattern.compile("(.+)/tags/list");
    private static final Pattern MANIFEST = Pattern.compile("(.+)/manifests/([^/]+)");
    private static final Pattern UPLOADS = Pattern.compile("(.+)/blobs/uploads/?");
    private static final Pattern UPLOAD = Pattern.compile("(.+)/blobs/uploads/([^/]+)");
    private static final Pattern BLOB = Pattern.compile("(.+)/blobs/([^/]+)");
    private static final Pattern REFERRERS = Pattern.compile("(.+)/referrers/([^/]+)");

    /**
     * Parses a request path starting with {@code /v2} (the base route is {@code /v2} or {@code /v2/}); null
     * when it names no route, NAME_INVALID when the repository name breaks the grammar.
     */
    public static RegistryRoute parseRequestPath(String path) {
        return parse(path.length() <= "/v2/".length() ? "" : path.substring("/v2/".length()));
    }

    /**
     * Parses the path after {@code /v2/}. Returns null when it names no route; throws NAME_INVALID when
     * it names a route but the repository name breaks the grammar.
     */
    public static RegistryRoute parse(String path) {
        if (path.isEmpty()) {
            return new RegistryRoute(Kind.BASE, null, null);
        }
        if (path.equals("_catalog")) {
            return new RegistryRoute(Kind.CATALOG, null, null);
        }
        Matcher m;
        if ((m = TAGS.matcher(path)).matches()) {
            return new RegistryRoute(Kind.TAGS, new RepositoryName(m.group(1)), null);
        }
        if ((m = MANIFEST.matcher(path)).matches()) {
            return new RegistryRoute(Kind.MANIFEST, new RepositoryName(m.group(1)), m.group(2));
        }
        if ((m = UPLOADS.matcher(path)).matches()) {
            return new RegistryRoute(Kind.UPLOADS, new RepositoryName(m.group(1)), null);
        }
        if ((m = UPLOAD.matcher(path)).matches()) {
            return new RegistryRoute(Kind.UPLOAD, new RepositoryName(m.group(1)), m.group(2));
        }
        if ((m = BLOB.matcher(path)).matches()) {
            return new RegistryRoute(Kind.BLOB, new RepositoryName(m.group(1)), m.group(2));
        }
        if ((m = REFERRERS.matcher(path)).matches()) {
            return new RegistryRoute(Kind.REFERRERS, new RepositoryName(m.group(1)), m.group(2));
        }
        return null;
    }
}
