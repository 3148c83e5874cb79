package dev.berth.registry;

/**
 * Where each piece of registry data lives in the store: CNCF Distribution's layout, so that Berth and
 * {@code registry:2} (and Distribution's garbage collector) can work on the same store. Marked {@code (+)}:
 * what Berth adds, which Distribution neither writes nor reads.
 * <pre>{@code
 * docker/registry/v2/
 *   blobs/<algorithm>/<first two hex digits>/<hex>/data       a blob's bytes, once per digest
 *   repositories/<name>/
 *     _layers/<algorithm>/<hex>/link                           the repository may read the blob
 *     _manifests/
 *       revisions/<algorithm>/<hex>/link                       a manifest of the repository
 *       tags/<tag>/
 *         current/link                                         the tag's manifest
 *         index/<algorithm>/<hex>/link                         every manifest the tag has named
 *       referrers/<algorithm>/<subject hex>/              (+)  manifests whose subject is this one:
 *         <algorithm>/<referrer hex>/descriptor.json      (+)    the descriptor the referrers API lists
 *         <algorithm>/<referrer hex>/link                 (+)    the same, from earlier Berth builds
 *     _uploads/<id>/
 *       startedat                                              when the upload began
 *       data                                                   its bytes, as pieces until the commit
 *                                                              (filesystem: appended, beside data.lock;
 *                                                              Azure: uncommitted blocks of the blob)
 *       state.json                                        (+)  its size, pieces and SHA-256 state so far,
 *                                                              replaced only by conditional writes
 *     _uploads_closed/<id>                                (+)  an upload committed or cancelled, so its id
 *                                                              is never served again
 * berth/                                                  (+)  Berth's own, outside the registry's layout:
 *   purge.lock                                            (+)    the lease of the one replica purging uploads
 *   gc.lock                                               (+)    the lease of the one replica collecting garbage
 *   gc/condemned/<algorithm>/<hex>                        (+)    a blob the collector means to delete, and
 *                                                                whether a writer rescued it first
 *   gc/last-report.json                                   (+)    the report of the last collection run (any
 *                                                                replica's), which every replica answers
 *   proxy/tag-checks/<name>/_tags/<tag>                   (+)    when a cached tag was last checked against
 *                                                                its upstream (the pull-through cache)
 *   proxy/pulled/<name>/_manifests/<algorithm>/<hex>      (+)    when a cached manifest was last pulled (by
 *                                                                tag or digest), to within an hour
 *   proxy/fetching/<algorithm>/<hex>                      (+)    the lease of the one replica fetching a blob
 *                                                                from an upstream, while it does
 *   health/<uuid>                                         (+)    a replica's readiness probe, written and
 *                                                                deleted on every check
 *   notifications/<endpoint>/                             (+)    events not yet delivered to an endpoint:
 *     events/<yyyyMMddHH>/<microseconds>-<id>.json        (+)      one per event, by hour and time
 *     sweep.lock                                          (+)      the lease of the replica sweeping them
 * }</pre>
 * Distribution's {@code _uploads/<id>/hashstates/} is never written: the hash state lives in
 * {@code state.json}, beside the pieces it covers. The filesystem store also keeps {@code .berth-tmp/} and
 * {@code .berth-locks} beside {@code docker/}, outside any store path.
 */
public final class StorePaths {

    private static final String ROOT = "docker/registry/v2";
    public static final String REPOSITORIES = ROOT + "/repositories";
    /** The folder of every blob's data, by algorithm, then the first two hex digits, then the digest. */
    public static final String BLOBS = ROOT + "/blobs";
    public static final String PURGE_LOCK = "berth/purge.lock";
    public static final String GC_LOCK = "berth/gc.lock";
    /** The garbage collector's markers, one per blob it condemned, by algorithm and digest. */
    public static final String CONDEMNED = "berth/gc/condemned";
    /** The report of the cluster's last garbage collection run, written by the replica that ran it. */
    public static final String GC_LAST_REPORT = "berth/gc/last-report.json";
    /** Events waiting for delivery to notification endpoints, per endpoint. */
    public static final String NOTIFICATIONS = "berth/notifications";

    private StorePaths() {
    }

    /** The folder of one blob: its data, and whatever else Distribution keeps beside it. */
    /** When the pull-through cache last checked a cached tag against its upstream. */
    public static String proxyTagCheck(RepositoryName repository, String tag) {
        return "berth/proxy/tag-checks/" + repository + "/_tags/" + tag;
    }

    /** When a manifest of a cached repository was last pulled, for its eviction. */
    public static String proxyPulled(RepositoryName repository, Digest manifest) {
        return "berth/proxy/pulled/" + repository + "/_manifests/" + manifest.algorithm() + "/" + manifest.hex();
    }

    /** The lease of the replica fetching a blob from an upstream registry. */
    public static String proxyFetch(Digest digest) {
        return "berth/proxy/fetching/" + digest.algorithm() + "/" + digest.hex();
    }

    /**
     * Where the replica fetching a blob from an upstream writes it and how much of it other replicas may read
     * already.
     */
    public static String proxyFetchProgress(Digest digest) {
        return "berth/proxy/fetch-progress/" + digest.algorithm() + "/" + digest.hex();
    }

    public static String blob(Digest digest) {
        return BLOBS + "/" + digest.algorithm() + "/" + digest.hex().substring(0, 2) + "/" + digest.hex();
    }

    public static String blobData(Digest digest) {
        return blob(digest) + "/data";
    }

    /** The collector's marker of a blob it condemned. */
    public static String condemned(Digest digest) {
        return CONDEMNED + "/" + digest.algorithm() + "/" + digest.hex();
    }

    /** The folder of a repository's blob links, by algorithm. */
    public static String layers(RepositoryName repository, String algorithm) {
        return repository(repository) + "/_layers/" + algorithm;
    }

    /** The folder of a repository's manifest revisions, by algorithm. */
    public static String manifestRevisions(RepositoryName repository, String algorithm) {
        return repository(repository) + "/_manifests/revisions/" + algorithm;
    }

    public static String repository(RepositoryName repository) {
        return REPOSITORIES + "/" + repository.value();
    }

    public static String layer(RepositoryName repository, Digest digest) {
        return layers(repository, digest.algorithm()) + "/" + digest.hex();
    }

    public static String layerLink(RepositoryName repository, Digest digest) {
        return layer(repository, digest) + "/link";
    }

    public static String manifestRevision(RepositoryName repository, Digest digest) {
        return manifestRevisions(repository, digest.algorithm()) + "/" + digest.hex();
    }

    public static String manifestRevisionLink(RepositoryName repository, Digest digest) {
        return manifestRevision(repository, digest) + "/link";
    }

    public static String tags(RepositoryName repository) {
        return repository(repository) + "/_manifests/tags";
    }

    public static String tag(RepositoryName repository, String tag) {
        return tags(repository) + "/" + tag;
    }

    public static String tagCurrentLink(RepositoryName repository, String tag) {
        return tag(repository, tag) + "/current/link";
    }

    public static String tagIndexLink(RepositoryName repository, String tag, Digest digest) {
        return tag(repository, tag) + "/index/" + digest.algorithm() + "/" + digest.hex() + "/link";
    }

    /** Berth's addition: one link per manifest whose {@code subject} is the given manifest. */
    public static String referrers(RepositoryName repository, Digest subject) {
        return repository(repository) + "/_manifests/referrers/" + subject.algorithm() + "/" + subject.hex();
    }

    public static String referrer(RepositoryName repository, Digest subject, Digest referrer) {
        return referrers(repository, subject) + "/" + referrer.algorithm() + "/" + referrer.hex();
    }

    /** Written by earlier Berth builds: only the referrer's digest, its descriptor read from the manifest. */
    public static String referrerLink(RepositoryName repository, Digest subject, Digest referrer) {
        return referrer(repository, subject, referrer) + "/link";
    }

    /** The referrer's descriptor as the referrers API lists it, kept so a listing never reads the manifest. */
    public static String referrerDescriptor(RepositoryName repository, Digest subject, Digest referrer) {
        return referrer(repository, subject, referrer) + "/descriptor.json";
    }

    /** The folder of a repository's uploads in progress (and of their tombstones). */
    public static String uploads(RepositoryName repository) {
        return repository(repository) + "/_uploads";
    }

    /**
     * Berth's addition: a marker per upload that was committed or cancelled, kept until its id would have
     * expired anyway, so that the id (which alone says an upload exists) is never served again.
     */
    public static String closedUploads(RepositoryName repository) {
        return repository(repository) + "/_uploads_closed";
    }

    public static String closedUpload(RepositoryName repository, String uploadId) {
        return closedUploads(repository) + "/" + uploadId;
    }

    public static String upload(RepositoryName repository, String uploadId) {
        return uploads(repository) + "/" + uploadId;
    }

    public static String uploadStartedAt(RepositoryName repository, String uploadId) {
        return upload(repository, uploadId) + "/startedat";
    }

    public static String uploadState(RepositoryName repository, String uploadId) {
        return upload(repository, uploadId) + "/state.json";
    }

    /** The upload's data, stored as pieces (one per request that carried data) until commit joins them. */
    public static String uploadData(RepositoryName repository, String uploadId) {
        return upload(repository, uploadId) + "/data";
    }
}
