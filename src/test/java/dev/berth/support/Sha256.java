package dev.berth.support;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** SHA-256 with the JDK's own implementation, the reference the tests check Berth's digests against. */
public final class Sha256 {

    private Sha256() {
    }

    /** The lowercase hex of the content's SHA-256. */
    public static String hex(byte[] content) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The content's digest as the registry names it: {@code sha256:<hex>}. */
    public static String digest(byte[] content) {
        return "sha256:" + hex(content);
    }
}
