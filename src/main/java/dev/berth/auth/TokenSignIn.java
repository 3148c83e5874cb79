package dev.berth.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Instant;
import java.util.Base64;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Web UI sign-in in {@code token} mode, following docker's Bearer flow: the password goes to the token server
 * once, for {@code registry:catalog:*} with {@code offline_token=true}; what comes back is kept by the browser
 * (encrypted in its cookie) as the sign-in's credential: the refresh token, or, from a token server without
 * offline tokens, the access token itself until it expires. Each page then trades the refresh token for one
 * access token covering what it shows. Every token is verified exactly as the API verifies bearer tokens,
 * and must name the signed-in user as subject; none is trusted unverified.
 */
final class TokenSignIn {

    /** What a sign-in asks for: a grant every user of a registry UI may have, and no repository's. */
    static final List<Access> SIGN_IN = List.of(Access.catalog());

    private static final String REFRESH = "refresh:";
    private static final String ACCESS = "access:";

    private final TokenServerClient client;
    private final TokenAuthenticator verifier;
    private final AccessTokenCache cache = new AccessTokenCache();
    private final Clock clock;

    TokenSignIn(TokenServerClient client, TokenAuthenticator verifier, Clock clock) {
        this.client = client;
        this.verifier = verifier;
        this.clock = clock;
    }

    /**
     * A signed-in user (the token's subject), the credential to keep for them, and when the sign-in ends
     * at the latest (null: whenever the session lifetime says).
     */
    record SignedIn(String user, String credential, Instant expires) {

        @Override
        public String toString() {
            return "SignedIn[user=" + user + "]";
        }
    }

    /** Signs {@code user} in; null when the token server refuses the password. */
    SignedIn signIn(String user, String password) {
        TokenServerClient.Grant grant = client.password(user, password, TokenServerClient.scopes(SIGN_IN));
        if (grant == null) {
            return null;
        }
        VerifiedToken token = verified(grant.accessToken());
        if (grant.refreshToken() != null) {
            return new SignedIn(token.subject(), REFRESH + grant.refreshToken(), null);
        }
        return new SignedIn(token.subject(), ACCESS + grant.accessToken(), token.expiry());
    }

    /**
     * A verified access token of {@code user} for {@code wanted}, holding only those grants; null when the
     * credential no longer signs anyone in (refresh token refused, carried token expired, another subject).
     */
    VerifiedToken accessFor(String user, String credential, Collection<Access> wanted) {
        Instant now = clock.instant();
        if (credential.startsWith(ACCESS)) {
            TokenAuthenticator.Checked checked = verifier.check(credential.substring(ACCESS.length()));
            VerifiedToken token = checked.token();
            return token != null && token.subject().equals(user) ? token : null;
        }
        if (!credential.startsWith(REFRESH)) {
            return null;
        }
        List<String> scopes = TokenServerClient.scopes(wanted);
        String key = digest(credential) + "\n" + String.join(" ", scopes);
        VerifiedToken cached = cache.get(key, now);
        if (cached != null) {
            return cached;
        }
        TokenServerClient.Grant grant = client.refresh(credential.substring(REFRESH.length()), scopes);
        if (grant == null) {
            return null;
        }
        VerifiedToken token = verified(grant.accessToken());
        if (!token.subject().equals(user)) {
            return null;
        }
        Set<Access> asked = new HashSet<>();
        for (Access access : wanted) {
            if (token.allows(access)) {
                asked.add(access);
            }
        }
        VerifiedToken kept = new VerifiedToken(token.subject(), Set.copyOf(asked), token.expiry());
        cache.put(key, kept);
        return kept;
    }

    private VerifiedToken verified(String accessToken) {
        TokenAuthenticator.Checked checked = verifier.check(accessToken);
        if (checked.token() == null) {
            throw new TokenServerException("the token server's token fails verification (" + checked.refusal()
                    + "); check berth.auth.token.issuer, service and the signing keys");
        }
        return checked.token();
    }

    int cached() {
        return cache.size();
    }

    private static String digest(String credential) {
        try {
            return Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-256")
                    .digest(credential.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
