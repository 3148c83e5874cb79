package dev.berth.registry.upload;

import dev.berth.registry.Digest;
import dev.berth.registry.RepositoryName;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Where an upload stands: the client resumes from {@code size}, or, when {@code committingAs} is not null, its
 * commit has begun and a repeated {@code PUT ?digest=} with that digest finishes it.
 */
public record UploadStatus(RepositoryName repository, String id, long size, Digest committingAs) {

    public UploadStatus(RepositoryName repository, String id, long size) {
        this(repository, id, size, null);
    }

    /** The upload's URL in the API, where its client sends the next chunk, asks where it stands, or finishes it. */
    public String location() {
        return "/v2/" + repository + "/blobs/uploads/" + id;
    }

    /**
     * Location, Range and upload id: what a client needs to continue the upload, told alike after a chunk
     * and after one out of order; for an upload whose commit has begun, {@code Berth-Upload-Committing} names
     * the digest a repeated {@code PUT ?digest=} finishes it with.
     */
    public Map<String, String> headers() {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Location", location());
        headers.put("Range", "0-" + Math.max(0, size - 1));
        headers.put("Docker-Upload-UUID", id);
        if (committingAs != null) {
            headers.put("Berth-Upload-Committing", committingAs.toString());
        }
        return headers;
    }
}
