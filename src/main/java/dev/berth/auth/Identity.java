package dev.berth.auth;

/** Whoever a request's credentials prove it comes from, and what it may do. */
interface Identity {

    /** For logs: a user or token subject, never a secret. */
    String subject();

    boolean allows(Access access);
}
