package dev.berth.clients;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.support.Sha256;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.GZIPOutputStream;
import tools.jackson.databind.json.JsonMapper;

/**
 * Hand-made OCI image layouts (image-spec "oci-layout" directories) for skopeo to push from and pull into,
 * and the skopeo commands the client tests share.
 */
public final class OciLayouts {

    public static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    public static final String OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
    public static final String OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip";
    public static final String OCI_LAYER_TAR = "application/vnd.oci.image.layer.v1.tar";
    public static final String REF_NAME = "org.opencontainers.image.ref.name";
    public static final String SKOPEO = "skopeo";

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private OciLayouts() {
    }

    /** One content-addressed blob. */
    public record Blob(String mediaType, String digest, byte[] bytes) {

        public static Blob of(String mediaType, byte[] bytes) {
            return new Blob(mediaType, Sha256.digest(bytes), bytes);
        }

        String descriptor() {
            return "{\"mediaType\":\"" + mediaType + "\",\"digest\":\"" + digest + "\",\"size\":" + bytes.length + "}";
        }
    }

    /** An image: its manifest (bytes and digest), config and layers. */
    public record Image(Blob manifest, Blob config, List<Blob> layers) {

        public String digest() {
            return manifest.digest();
        }

        /** All blobs by digest, the manifest included. */
        public Map<String, byte[]> blobs() {
            Map<String, byte[]> blobs = new LinkedHashMap<>();
            blobs.put(manifest.digest(), manifest.bytes());
            blobs.put(config.digest(), config.bytes());
            layers.forEach(layer -> blobs.put(layer.digest(), layer.bytes()));
            return blobs;
        }
    }

    /**
     * Writes a new OCI layout at {@code dir} holding one image tagged {@code tag}: a config and two layers,
     * a gzip-compressed tar holding {@code randomBytes} random bytes and a plain (uncompressed) tar of a
     * few KiB, with an OCI image manifest. skopeo 1.9 pushes uncompressed layers as they are, and
     * {@code --dest-oci-accept-uncompressed-layers} keeps them so when copying back into a layout.
     */
    public static Image write(Path dir, String tag, Random random, int randomBytes) {
        byte[] big = new byte[randomBytes];
        random.nextBytes(big);
        byte[] small = new byte[4096 + random.nextInt(4096)];
        random.nextBytes(small);
        String note = "berth client test " + Long.toHexString(random.nextLong()) + "\n";

        Map<String, byte[]> files1 = new LinkedHashMap<>();
        files1.put("berth/", null);
        files1.put("berth/hello.txt", note.getBytes(StandardCharsets.UTF_8));
        files1.put("berth/random.bin", big);
        Map<String, byte[]> files2 = new LinkedHashMap<>();
        files2.put("etc/", null);
        files2.put("etc/berth.conf", ("seed=" + random.nextLong() + "\n").getBytes(StandardCharsets.UTF_8));
        files2.put("etc/small.bin", small);

        byte[] tar1 = tar(files1);
        byte[] tar2 = tar(files2);
        Blob layer1 = Blob.of(OCI_LAYER_GZIP, gzip(tar1));
        Blob layer2 = Blob.of(OCI_LAYER_TAR, tar2);
        String config = "{\"created\":\"2024-01-01T00:00:00Z\",\"architecture\":\"amd64\",\"os\":\"linux\","
                + "\"config\":{\"Env\":[\"PATH=/usr/bin:/bin\"],\"Cmd\":[\"/berth/hello.txt\"],"
                + "\"Labels\":{\"dev.berth.test\":\"" + note.trim() + "\"}},"
                + "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" + Sha256.digest(tar1) + "\",\"" + Sha256.digest(tar2) + "\"]},"
                + "\"history\":[{\"created\":\"2024-01-01T00:00:00Z\",\"created_by\":\"berth test layer 1\"},"
                + "{\"created\":\"2024-01-01T00:00:00Z\",\"created_by\":\"berth test layer 2\"}]}";
        Blob configBlob = Blob.of(OCI_CONFIG, config.getBytes(StandardCharsets.UTF_8));
        String manifest = "{\"schemaVersion\":2,\"mediaType\":\"" + OCI_MANIFEST + "\","
                + "\"config\":" + configBlob.descriptor() + ","
                + "\"layers\":[" + layer1.descriptor() + "," + layer2.descriptor() + "],"
                + "\"annotations\":{\"dev.berth.test\":\"client\"}}";
        Blob manifestBlob = Blob.of(OCI_MANIFEST, manifest.getBytes(StandardCharsets.UTF_8));
        Image image = new Image(manifestBlob, configBlob, List.of(layer1, layer2));

        try {
            Files.createDirectories(dir.resolve("blobs/sha256"));
            Files.writeString(dir.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
            for (Map.Entry<String, byte[]> blob : image.blobs().entrySet()) {
                Files.write(blobPath(dir, blob.getKey()), blob.getValue());
            }
            String index = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\","
                    + "\"manifests\":[{\"mediaType\":\"" + OCI_MANIFEST + "\",\"digest\":\"" + manifestBlob.digest()
                    + "\",\"size\":" + manifestBlob.bytes().length + ",\"annotations\":{\"" + REF_NAME + "\":\""
                    + tag + "\"}}]}";
            Files.writeString(dir.resolve("index.json"), index);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return image;
    }

    /** Reads the image tagged {@code tag} out of the OCI layout at {@code dir}, checking every blob's digest. */
    @SuppressWarnings("unchecked")
    public static Image read(Path dir, String tag) {
        try {
            Map<String, Object> index = JSON.readValue(Files.readAllBytes(dir.resolve("index.json")), Map.class);
            List<Map<String, Object>> manifests = (List<Map<String, Object>>) index.get("manifests");
            Map<String, Object> entry = manifests.stream()
                    .filter(m -> m.get("annotations") instanceof Map<?, ?> a && tag.equals(a.get(REF_NAME)))
                    .findFirst()
                    .orElseThrow(() -> new AssertionError("no manifest tagged " + tag + " in " + dir + "/index.json: "
                            + index));
            Blob manifest = readBlob(dir, (String) entry.get("mediaType"), (String) entry.get("digest"));
            Map<String, Object> parsed = JSON.readValue(manifest.bytes(), Map.class);
            Map<String, Object> config = (Map<String, Object>) parsed.get("config");
            Blob configBlob = readBlob(dir, (String) config.get("mediaType"), (String) config.get("digest"));
            List<Blob> layers = new ArrayList<>();
            for (Map<String, Object> layer : (List<Map<String, Object>>) parsed.get("layers")) {
                layers.add(readBlob(dir, (String) layer.get("mediaType"), (String) layer.get("digest")));
            }
            return new Image(manifest, configBlob, layers);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Asserts {@code actual} is byte for byte {@code expected}: manifest digest and bytes, config, layers. */
    public static void assertSameImage(Image expected, Image actual) {
        assertThat(actual.manifest().digest()).as("manifest digest").isEqualTo(expected.manifest().digest());
        assertThat(new String(actual.manifest().bytes(), StandardCharsets.UTF_8)).as("manifest bytes")
                .isEqualTo(new String(expected.manifest().bytes(), StandardCharsets.UTF_8));
        assertThat(actual.config().digest()).as("config digest").isEqualTo(expected.config().digest());
        assertThat(actual.config().bytes()).as("config bytes").isEqualTo(expected.config().bytes());
        assertThat(actual.layers()).as("layer count").hasSameSizeAs(expected.layers());
        for (int i = 0; i < expected.layers().size(); i++) {
            Blob want = expected.layers().get(i);
            Blob got = actual.layers().get(i);
            assertThat(got.digest()).as("layer %d digest", i).isEqualTo(want.digest());
            assertThat(got.mediaType()).as("layer %d media type", i).isEqualTo(want.mediaType());
            assertThat(got.bytes()).as("layer %d bytes (%d bytes expected)", i, want.bytes().length)
                    .isEqualTo(want.bytes());
        }
    }

    // ---------------------------------------------------------------------------------------------------
    // skopeo

    /** {@code skopeo copy oci:LAYOUT:TAG docker://REF} over plain HTTP, keeping digests. */
    public static String pushWithSkopeo(Path layout, String tag, String dockerReference) {
        return Commands.run(Duration.ofSeconds(90), Map.of(), SKOPEO, "--insecure-policy", "copy",
                "--preserve-digests", "--dest-tls-verify=false",
                "oci:" + layout.toAbsolutePath() + ":" + tag, "docker://" + dockerReference).stdout();
    }

    /** {@code skopeo copy docker://REF oci:LAYOUT:TAG} over plain HTTP, keeping digests. */
    public static String pullWithSkopeo(String dockerReference, Path layout, String tag) {
        return Commands.run(Duration.ofSeconds(90), Map.of(), SKOPEO, "--insecure-policy", "copy",
                "--preserve-digests", "--src-tls-verify=false", "--dest-oci-accept-uncompressed-layers",
                "docker://" + dockerReference, "oci:" + layout.toAbsolutePath() + ":" + tag).stdout();
    }

    /** {@code skopeo inspect --format {{.Digest}}}. */
    public static String inspectDigest(String dockerReference) {
        return Commands.run(Duration.ofSeconds(60), Map.of(), SKOPEO, "--insecure-policy", "inspect",
                "--tls-verify=false", "--format", "{{.Digest}}", "docker://" + dockerReference).stdout().trim();
    }

    /** {@code skopeo inspect --raw}: the manifest bytes as served. */
    public static String inspectRaw(String dockerReference) {
        return Commands.run(Duration.ofSeconds(60), Map.of(), SKOPEO, "--insecure-policy", "inspect",
                "--tls-verify=false", "--raw", "docker://" + dockerReference).stdout();
    }

    /** {@code skopeo list-tags}: the tags of a repository. */
    @SuppressWarnings("unchecked")
    public static List<String> listTags(String dockerRepository) {
        String out = Commands.run(Duration.ofSeconds(60), Map.of(), SKOPEO, "--insecure-policy", "list-tags",
                "--tls-verify=false", "docker://" + dockerRepository).stdout();
        Map<String, Object> parsed = JSON.readValue(out, Map.class);
        return (List<String>) parsed.get("Tags");
    }

    // ---------------------------------------------------------------------------------------------------

    static Path blobPath(Path dir, String digest) {
        assertThat(digest).as("digest").matches("sha256:[0-9a-f]{64}");
        return dir.resolve("blobs/sha256").resolve(digest.substring("sha256:".length()));
    }

    private static Blob readBlob(Path dir, String mediaType, String digest) throws IOException {
        Path path = blobPath(dir, digest);
        assertThat(path).as("blob %s in %s", digest, dir).exists();
        byte[] bytes = Files.readAllBytes(path);
        assertThat(Sha256.digest(bytes)).as("content of blob file %s", path).isEqualTo(digest);
        return new Blob(mediaType, digest, bytes);
    }

    static byte[] gzip(byte[] data) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(data);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** A POSIX ustar archive of {@code files} (a null value, or a name ending in '/', is a directory). */
    static byte[] tar(Map<String, byte[]> files) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Map.Entry<String, byte[]> file : files.entrySet()) {
            String name = file.getKey();
            boolean directory = file.getValue() == null || name.endsWith("/");
            byte[] data = directory ? new byte[0] : file.getValue();
            byte[] header = new byte[512];
            put(header, 0, 100, name.getBytes(StandardCharsets.UTF_8));
            putOctal(header, 100, 8, directory ? 0755 : 0644);
            putOctal(header, 108, 8, 0);
            putOctal(header, 116, 8, 0);
            putOctal(header, 124, 12, data.length);
            putOctal(header, 136, 12, 1704067200L); // 2024-01-01T00:00:00Z
            header[156] = (byte) (directory ? '5' : '0');
            put(header, 257, 6, "ustar\0".getBytes(StandardCharsets.US_ASCII));
            put(header, 263, 2, "00".getBytes(StandardCharsets.US_ASCII));
            put(header, 265, 32, "root".getBytes(StandardCharsets.US_ASCII));
            put(header, 297, 32, "root".getBytes(StandardCharsets.US_ASCII));
            for (int i = 148; i < 156; i++) {
                header[i] = ' ';
            }
            long sum = 0;
            for (byte b : header) {
                sum += b & 0xff;
            }
            byte[] checksum = String.format("%06o\0 ", sum).getBytes(StandardCharsets.US_ASCII);
            put(header, 148, 8, checksum);
            out.writeBytes(header);
            out.writeBytes(data);
            int pad = (512 - data.length % 512) % 512;
            out.writeBytes(new byte[pad]);
        }
        out.writeBytes(new byte[1024]);
        return out.toByteArray();
    }

    private static void put(byte[] header, int offset, int length, byte[] value) {
        if (value.length > length) {
            throw new IllegalArgumentException("tar field too long: " + new String(value, StandardCharsets.UTF_8));
        }
        System.arraycopy(value, 0, header, offset, value.length);
    }

    private static void putOctal(byte[] header, int offset, int length, long value) {
        String octal = String.format("%0" + (length - 1) + "o", value);
        put(header, offset, length, (octal + "\0").getBytes(StandardCharsets.US_ASCII));
    }
}
