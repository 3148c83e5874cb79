package dev.berth.auth;

import java.time.Instant;
import java.util.Set;

/**
 * A bearer token that passed every check of {@link TokenAuthenticator} (signature, issuer, audience,
 * expiry): whom it names and what its {@code access} claim grants, until when.
 */
record VerifiedToken(String subject, Set<Access> granted, Instant expiry) {

    /** Whether the token grants {@code wanted}, by name or by {@code "actions":["*"]}. */
    boolean allows(Access wanted) {
        return granted.contains(wanted) || granted.contains(new Access(wanted.type(), wanted.name(), "*"));
    }

    /** Never shows the token itself (it is not even kept here). */
    @Override
    public String toString() {
        return "VerifiedToken[subject=" + subject + ", expiry=" + expiry + "]";
    }
}
