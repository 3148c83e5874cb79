package dev.berth.auth;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Access tokens already fetched for the web UI, per sign-in and scope set, until shortly before they expire,
 * so that page views do not each cost a token request. Bounded: at most {@link #MAX_ENTRIES} entries, the
 * least recently used dropped first; each holds only the grants that were asked for (a page asks for at
 * most a few hundred). Keys hold a digest of the sign-in's credential, never the credential.
 */
final class AccessTokenCache {

    static final int MAX_ENTRIES = 1000;
    /** A token is used no later than this before it expires: a page read must not end with it expired. */
    static final Duration EARLY = Duration.ofSeconds(15);

    private final Map<String, VerifiedToken> entries = new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, VerifiedToken> eldest) {
            return size() > MAX_ENTRIES;
        }
    };

    synchronized VerifiedToken get(String key, Instant now) {
        VerifiedToken token = entries.get(key);
        if (token != null && !token.expiry().minus(EARLY).isAfter(now)) {
            entries.remove(key);
            return null;
        }
        return token;
    }

    synchronized void put(String key, VerifiedToken token) {
        entries.put(key, token);
    }

    synchronized int size() {
        return entries.size();
    }
}
