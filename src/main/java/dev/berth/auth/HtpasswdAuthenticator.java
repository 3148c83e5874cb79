package dev.berth.auth;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.security.crypto.bcrypt.BCryptPasswordEncoder;

/**
 * HTTP Basic against an htpasswd file of bcrypt entries ({@code htpasswd -B}: {@code user:$2y$...}). The
 * file is re-read when its modification time changes. A bcrypt check costs tens of milliseconds and a push
 * makes dozens of requests, so proven credentials are remembered for a minute, keyed by a SHA-256 of the
 * header and the entry (the password itself is never kept).
 */
final class HtpasswdAuthenticator implements Authenticator {

    private static final Logger log = LoggerFactory.getLogger(HtpasswdAuthenticator.class);
    private static final long REMEMBER_NANOS = 60_000_000_000L;
    private static final int REMEMBER_MAX = 10_000;

    private final Path path;
    private final String realm;
    private final BCryptPasswordEncoder bcrypt = new BCryptPasswordEncoder();
    private final Map<String, Long> proven = new ConcurrentHashMap<>();
    private volatile Map<String, String> entries = Map.of();
    private volatile FileTime loadedAt;

    HtpasswdAuthenticator(Path path, String realm) {
        if (path == null) {
            throw new IllegalStateException("berth.auth.mode=htpasswd needs berth.auth.htpasswd.path");
        }
        if (!Files.isReadable(path)) {
            throw new IllegalStateException("berth.auth.htpasswd.path " + path.toAbsolutePath() + " is not a readable file");
        }
        this.path = path;
        this.realm = realm;
        reloadIfChanged();
    }

    @Override
    public Identity authenticate(String authorization, String[] reasons) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Basic ", 0, 6)) {
            reasons[0] = authorization == null ? "no credentials" : "not Basic credentials";
            return null;
        }
        String decoded;
        try {
            decoded = new String(Base64.getDecoder().decode(authorization.substring(6).trim()), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            reasons[0] = "malformed Basic credentials";
            return null;
        }
        int colon = decoded.indexOf(':');
        if (colon <= 0) {
            reasons[0] = "malformed Basic credentials";
            return null;
        }
        String user = decoded.substring(0, colon);
        String password = decoded.substring(colon + 1);
        reloadIfChanged();
        String hash = entries.get(user);
        if (hash == null) {
            reasons[0] = "unknown user";
            return null;
        }
        String key = sha256(authorization + "\n" + hash);
        Long until = proven.get(key);
        long now = System.nanoTime();
        if (until != null && until - now > 0) {
            return Identity.fullAccess(user);
        }
        boolean matches;
        try {
            matches = bcrypt.matches(password, hash);
        } catch (IllegalArgumentException e) {
            matches = false;
        }
        if (!matches) {
            proven.remove(key);
            reasons[0] = "wrong password for user " + user;
            return null;
        }
        if (proven.size() >= REMEMBER_MAX) {
            proven.clear();
        }
        proven.put(key, now + REMEMBER_NANOS);
        return Identity.fullAccess(user);
    }

    @Override
    public String challenge(String scope, String error) {
        return "Basic realm=\"" + realm.replace("\"", "") + "\", charset=\"UTF-8\"";
    }

    private void reloadIfChanged() {
        try {
            FileTime modified = Files.getLastModifiedTime(path);
            if (modified.equals(loadedAt)) {
                return;
            }
            synchronized (this) {
                if (modified.equals(loadedAt)) {
                    return;
                }
                Map<String, String> read = new HashMap<>();
                int lineNumber = 0;
                for (String line : Files.readAllLines(path, StandardCharsets.UTF_8)) {
                    lineNumber++;
                    String trimmed = line.strip();
                    if (trimmed.isEmpty() || trimmed.startsWith("#")) {
                        continue;
                    }
                    int colon = trimmed.indexOf(':');
                    String hash = colon > 0 ? trimmed.substring(colon + 1) : "";
                    if (!hash.startsWith("$2y$") && !hash.startsWith("$2a$") && !hash.startsWith("$2b$")) {
                        log.warn("{} line {}: not a bcrypt entry (use htpasswd -B); ignored", path, lineNumber);
                        continue;
                    }
                    read.put(trimmed.substring(0, colon), hash);
                }
                entries = Map.copyOf(read);
                proven.clear();
                loadedAt = modified;
                log.info("Loaded {} users from {}", read.size(), path);
            }
        } catch (IOException e) {
            if (loadedAt == null) {
                throw new UncheckedIOException("cannot read " + path, e);
            }
            log.warn("Cannot re-read {} ({}); keeping the users read before", path, e.toString());
        }
    }

    private static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
