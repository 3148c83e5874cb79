package dev.berth.auth;

/** Checks a request's {@code Authorization} header for one mode, and says how to challenge clients. */
interface Authenticator {

    /**
     * The identity the header proves, or null when it is missing, malformed or does not verify (the
     * reason goes to {@code reasons[0]} for the debug log; never the credentials themselves).
     */
    Identity authenticate(String authorization, String[] reasons);

    /** The {@code WWW-Authenticate} value asking for credentials good for {@code scope} (may be empty). */
    String challenge(String scope, String error);
}
