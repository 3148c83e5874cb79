package dev.berth.ui;

import dev.berth.settings.InvalidSettingException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * The HMAC-SHA256 key behind the UI's sign-in cookies and delete confirmations: {@code berth.ui.session-key},
 * or a random key per process. No state is kept anywhere else, so every replica with the same key accepts
 * what any of them signed.
 */
@Component
@UiEnabled
class UiKeys {

    private static final Logger log = LoggerFactory.getLogger(UiKeys.class);
    static final int MIN_KEY_BYTES = 32;

    private final byte[] key;

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
