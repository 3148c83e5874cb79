package dev.berth.auth;

/**
 * The outcome of checking one request's credentials.
 *
 * @param identity who the credentials prove, or null when they prove nobody
 * @param refusal why they prove nobody (for the debug log, never a secret), or null
 * @param claimedUser the user name a password was offered for, or null (no credentials, a token): what
 *     failed logins are counted against
 */
record Authentication(Identity identity, String refusal, String claimedUser) {

    static Authentication granted(Identity identity) {
        return new Authentication(identity, null, null);
    }

    static Authentication refused(String refusal) {
        return new Authentication(null, refusal, null);
    }

    static Authentication wrongPassword(String refusal, String user) {
        return new Authentication(null, refusal, user);
    }

    boolean succeeded() {
        return identity != null;
    }
}
