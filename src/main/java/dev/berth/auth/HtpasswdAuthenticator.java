package dev.berth.auth;

import dev.berth.settings.InvalidSettingException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import java.util.UUID;
import org.springframework.security.crypto.bcrypt.BCrypt;
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
    private final HtpasswdRights rights;
    private final BCryptPasswordEncoder bcrypt = new BCryptPasswordEncoder();
    private final Map<String, Long> proven = new ConcurrentHashMap<>();
    private volatile Map<String, String> entries = Map.of();
    /** A hash of a random password at the file's highest cost, checked when the user is unknown. */
    private volatile String decoy;
    private volatile FileTime loadedAt;

    HtpasswdAuthenticator(Path path, String realm, HtpasswdRights rights) {
        if (path == null) {
            throw new InvalidSettingException("berth.auth.htpasswd.path", "not set, but berth.auth.mode=htpasswd needs"
                    + " a password file", "Set berth.auth.htpasswd.path to a file made with 'htpasswd -B' (docs/auth.md).");
        }
        if (!Files.isReadable(path)) {
            throw new InvalidSettingException("berth.auth.htpasswd.path", path.toAbsolutePath()
                    + " is not a readable file", "Create the file with 'htpasswd -B -c " + path + " <user>', or set"
                    + " berth.auth.htpasswd.path to where it is.");
        }
        this.path = path;
        this.realm = realm;
        this.rights = rights;
        reloadIfChanged();
    }

    @Override
    public Authentication authenticate(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Basic ", 0, 6)) {
            return Authentication.refused(authorization == null ? "no credentials" : "not Basic credentials");
        }
        HttpBasic credentials = HttpBasic.parse(authorization);
        if (credentials == null) {
            return Authentication.refused("malformed Basic credentials");
        }
        String user = credentials.user();
        String password = credentials.password();
        reloadIfChanged();
        String hash = entries.get(user);
        if (hash == null) {
            // The same bcrypt work as for a known user, so that timing does not tell which users exist.
            matches(password, decoy);
            return Authentication.wrongPassword("unknown user or wrong password for " + user, user);
        }
        String key = sha256(authorization + "\n" + hash);
        Long until = proven.get(key);
        long now = System.nanoTime();
        if (until != null && until - now > 0) {
            return Authentication.granted(rights.identity(user));
        }
        if (!matches(password, hash)) {
            proven.remove(key);
            return Authentication.wrongPassword("unknown user or wrong password for " + user, user);
        }
        if (proven.size() >= REMEMBER_MAX) {
            proven.clear();
        }
        proven.put(key, now + REMEMBER_NANOS);
        return Authentication.granted(rights.identity(user));
    }

    /** Whether the file (as it is now) lists {@code user}. */
    boolean knows(String user) {
        reloadIfChanged();
        return entries.containsKey(user);
    }

    /** What {@code user} may do while the file lists them (a web UI sign-in), or null once it no longer does. */
    Identity identity(String user) {
        return user != null && knows(user) ? rights.identity(user) : null;
    }

    /** A password grants what its user's rules grant; no other credentials would grant more. */
    @Override
    public boolean widerScopeObtainable() {
        return false;
    }

    private boolean matches(String password, String hash) {
        try {
            return bcrypt.matches(password, hash);
        } catch (IllegalArgumentException e) {
            return false;
        }
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
                decoy = decoyHash(read.values());
                proven.clear();
                loadedAt = modified;
                log.info("Loaded {} users from {}", read.size(), path);
                Set<String> unknown = new TreeSet<>(rights.namedUsers());
                unknown.removeAll(read.keySet());
                if (!unknown.isEmpty()) {
                    log.warn("{} names users {} does not list, who get no rights until it does: {}",
                            HtpasswdRights.PROPERTY, path, unknown);
                }
            }
        } catch (IOException e) {
            if (loadedAt == null) {
                throw new UncheckedIOException("cannot read " + path, e);
            }
            log.warn("Cannot re-read {} ({}); keeping the users read before", path, e.toString());
        }
    }

    /** bcrypt of a random password, at the highest cost among the entries (10, bcrypt's default, if none). */
    private static String decoyHash(Iterable<String> hashes) {
        int cost = 0;
        for (String hash : hashes) {
            try {
                cost = Math.max(cost, Integer.parseInt(hash.substring(4, 6)));
            } catch (RuntimeException e) {
                // not a well-formed entry; bcrypt refuses it anyway
            }
        }
        return BCrypt.hashpw(UUID.randomUUID().toString(), BCrypt.gensalt(cost >= 4 && cost <= 31 ? cost : 10));
    }

    private static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
