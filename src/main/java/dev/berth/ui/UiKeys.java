package dev.berth.ui;

import dev.berth.settings.InvalidSettingException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * The HMAC-SHA256 key behind the UI's sign-in cookies and delete confirmations: {@code berth.ui.session-key},
 * or a random key per process. No state is kept anywhere else, so every replica with the same key accepts
 * what any of them signed. Secrets a cookie carries (a token-mode sign-in's token) are sealed with AES-256-GCM
 * under a second key derived from it, so the cookie is unreadable to whoever copies it off a screen or a log.
 */
@Component
@UiEnabled
class UiKeys {

    private static final Logger log = LoggerFactory.getLogger(UiKeys.class);
    static final int MIN_KEY_BYTES = 32;

    private static final int NONCE_BYTES = 12;
    private static final int TAG_BITS = 128;

    private final byte[] key;
    private final SecureRandom random = new SecureRandom();

    UiKeys(UiProperties properties) {
        String configured = properties.sessionKey();
        if (configured == null || configured.isBlank()) {
            key = new byte[MIN_KEY_BYTES];
            new SecureRandom().nextBytes(key);
            log.warn("berth.ui.session-key is not set: a random key is used, so web UI sign-ins and delete"
                    + " confirmations last only on this replica (and until it restarts); set the same base64 key"
                    + " on every replica (openssl rand -base64 32)");
            return;
        }
        try {
            key = Base64.getDecoder().decode(configured.strip());
        } catch (IllegalArgumentException e) {
            throw new InvalidSettingException("berth.ui.session-key", "is not base64",
                    "Set it to the output of 'openssl rand -base64 32', the same on every replica.");
        }
        if (key.length < MIN_KEY_BYTES) {
            throw new InvalidSettingException("berth.ui.session-key", "is " + key.length + " bytes long; at least "
                    + MIN_KEY_BYTES + " are needed", "Set it to the output of 'openssl rand -base64 32'.");
        }
    }

    /**
     * {@code secret} encrypted and authenticated for {@code context} (AES-GCM, a random nonce per call), base64url
     * without padding: it opens only with the same key and context.
     */
    String seal(String secret, String context) {
        try {
            byte[] nonce = new byte[NONCE_BYTES];
            random.nextBytes(nonce);
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.ENCRYPT_MODE, encryptionKey(), new GCMParameterSpec(TAG_BITS, nonce));
            cipher.updateAAD(context.getBytes(StandardCharsets.UTF_8));
            byte[] sealed = cipher.doFinal(secret.getBytes(StandardCharsets.UTF_8));
            byte[] out = new byte[NONCE_BYTES + sealed.length];
            System.arraycopy(nonce, 0, out, 0, NONCE_BYTES);
            System.arraycopy(sealed, 0, out, NONCE_BYTES, sealed.length);
            return Base64.getUrlEncoder().withoutPadding().encodeToString(out);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The secret {@link #seal} sealed for {@code context}; null when it was not sealed so (or altered). */
    String open(String sealed, String context) {
        try {
            byte[] in = Base64.getUrlDecoder().decode(sealed);
            if (in.length <= NONCE_BYTES) {
                return null;
            }
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.DECRYPT_MODE, encryptionKey(), new GCMParameterSpec(TAG_BITS, in, 0, NONCE_BYTES));
            cipher.updateAAD(context.getBytes(StandardCharsets.UTF_8));
            return new String(cipher.doFinal(in, NONCE_BYTES, in.length - NONCE_BYTES), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException | GeneralSecurityException e) {
            return null;
        }
    }

    /** A key of its own for encryption, so that no key is used both to sign and to encrypt. */
    private SecretKeySpec encryptionKey() throws GeneralSecurityException {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(key, "HmacSHA256"));
        return new SecretKeySpec(mac.doFinal("berth-ui cookie encryption".getBytes(StandardCharsets.UTF_8)), "AES");
    }

    /** HMAC-SHA256 of {@code text}, base64url without padding. */
    String sign(String text) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(mac.doFinal(text.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Whether {@code signature} is the signature of {@code text}, compared in constant time. */
    boolean verify(String text, String signature) {
        return signature != null && MessageDigest.isEqual(sign(text).getBytes(StandardCharsets.US_ASCII),
                signature.getBytes(StandardCharsets.US_ASCII));
    }
}
