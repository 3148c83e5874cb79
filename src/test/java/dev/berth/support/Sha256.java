package dev.berth.support;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** SHA-256 with the JDK's own implementation, the reference the tests check Berth's digests against. */
public final class Sha256 {

    private Sha256() {
    }

    /** The content's SHA-256, its 32 bytes. */
    public static byte[] of(byte[] content) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(content);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The lowercase hex of the content's SHA-256. */
    public static String hex(byte[] content) {
        return HexFormat.of().formatHex(of(content));
    }

    /** The content's digest as the registry names it: {@code sha256:<hex>}. */
    public static String digest(byte[] content) {
        return "sha256:" + hex(content);
    }

    /** The digest of {@code text}'s UTF-8 bytes. */
    public static String digest(String text) {
        return digest(text.getBytes(StandardCharsets.UTF_8));
    }
}
