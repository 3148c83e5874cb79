package dev.berth.registry;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/** A content digest such as {@code sha256:<64 hex>}; Berth stores and verifies SHA-256 only. */
public record Digest(String algorithm, String hex) {

    private static final Pattern SHA256_HEX = Pattern.compile("[a-f0-9]{64}");
    private static final Pattern ANY_DIGEST = Pattern.compile("[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+");

    public Digest {
        if (!"sha256".equals(algorithm) || !SHA256_HEX.matcher(hex).matches()) {
            throw new IllegalArgumentException("not a sha256 digest: " + algorithm + ":" + hex);
        }
    }

    public static Digest sha256(String hex) {
        return new Digest("sha256", hex);
    }

    /** The digest of {@code content}, held whole (a manifest). */
    public static Digest of(byte[] content) {
        try {
            return sha256(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Parses a digest from a request; anything else is DIGEST_INVALID, with a message saying why. */
    public static Digest parse(String value) {
        if (value == null || value.isEmpty()) {
            throw new RegistryException(ErrorCode.DIGEST_INVALID, "a digest is required");
        }
        if (!ANY_DIGEST.matcher(value).matches()) {
            throw new RegistryException(ErrorCode.DIGEST_INVALID, "'" + value + "' is not a digest (algorithm:hex)");
        }
        int colon = value.indexOf(':');
        String algorithm = value.substring(0, colon);
        String hex = value.substring(colon + 1);
        if (!algorithm.equals("sha256")) {
            throw new RegistryException(ErrorCode.DIGEST_INVALID,
                    "digest algorithm '" + algorithm + "' is not supported; use sha256");
        }
        if (!SHA256_HEX.matcher(hex).matches()) {
            throw new RegistryException(ErrorCode.DIGEST_INVALID,
                    "a sha256 digest has 64 lower-case hex characters: '" + value + "'");
        }
        return new Digest(algorithm, hex);
    }

    public static boolean looksLikeDigest(String reference) {
        return reference.indexOf(':') > 0;
    }

    @Override
    public String toString() {
        return algorithm + ":" + hex;
    }
}
