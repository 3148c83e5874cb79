package dev.berth.auth;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * One web UI request's rights in {@code token} mode: anonymous pull as on the API, and for a signed-in user
 * what an access token fetched for exactly the asked-about accesses grants. Each {@link #lookUp} is one token
 * request (or none, from the cache), cut at {@link #MAX_SCOPES} accesses per request.
 */
final class TokenRights implements Rights {

    /** Accesses asked for in one token request: a page of 100 repositories with two actions each. */
    static final int MAX_SCOPES = 200;

    private final String user;
    private final String credential;
    private final TokenSignIn tokens;
    private final Predicate<Access> anonymous;
    private final Map<Access, Boolean> known = new HashMap<>();
    private boolean refused;

    TokenRights(String user, String credential, TokenSignIn tokens, Predicate<Access> anonymous) {
        this.user = user;
        this.credential = credential;
        this.tokens = tokens;
        this.anonymous = anonymous;
    }

    @Override
    public boolean signedIn() {
        return user != null && credential != null && !refused;
    }

    @Override
    public void lookUp(Collection<Access> accesses) {
        List<Access> needed = new ArrayList<>(new LinkedHashSet<>(accesses));
        needed.removeIf(a -> known.containsKey(a) || anonymous.test(a));
        for (int from = 0; from < needed.size() && signedIn(); from += MAX_SCOPES) {
            List<Access> part = needed.subList(from, Math.min(needed.size(), from + MAX_SCOPES));
            VerifiedToken token = tokens.accessFor(user, credential, part);
            if (token == null) {
                refused = true;
                return;
            }
            for (Access access : part) {
                known.put(access, token.allows(access));
            }
        }
    }

    @Override
    public boolean allows(Access access) {
        if (anonymous.test(access)) {
            return true;
        }
        if (!signedIn()) {
            return false;
        }
        if (!known.containsKey(access)) {
            lookUp(List.of(access));
        }
        return Boolean.TRUE.equals(known.get(access));
    }
}
