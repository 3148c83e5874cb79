package dev.berth.auth;

/** Checks a request's {@code Authorization} header for one mode, and says how to challenge clients. */
interface Authenticator {

    /**
     * What the header proves: an identity, or a refusal with its reason for the debug log (never the
     * credentials themselves) and the user name the credentials claimed, if any.
     */
    Authentication authenticate(String authorization);

    /** The {@code WWW-Authenticate} value asking for credentials good for {@code scope} (may be empty). */
    String challenge(String scope, String error);

    /**
     * Whether a client refused an action its valid credentials lack can obtain credentials that grant it (a
     * token for a wider scope): then the refusal is a {@code 401} challenge with
     * {@code error="insufficient_scope"}; otherwise it is {@code 403 DENIED}, which clients report at once.
     */
    boolean widerScopeObtainable();
}
