package dev.berth.auth;

import java.time.Duration;
import java.time.Instant;

/**
 * The outcome of a password sign-in outside the registry API (the web UI's form).
 *
 * @param user the user the password proved, or null when it proved nobody
 * @param retryAfter how long the client must wait before trying again (too many wrong passwords), or null
 * @param credential what the sign-in must carry to act for the user ({@code token} mode: a token, a secret
 *     to keep encrypted and never log), or null (htpasswd mode: the user name is enough)
 * @param expires when the sign-in ends at the latest (a carried access token expires), or null
 */
public record SignInCheck(String user, Duration retryAfter, String credential, Instant expires) {

    public SignInCheck(String user, Duration retryAfter) {
        this(user, retryAfter, null, null);
    }

    public boolean succeeded() {
        return user != null;
    }

    /** Never shows the credential, whoever logs this. */
    @Override
    public String toString() {
        return "SignInCheck[user=" + user + ", retryAfter=" + retryAfter + ", expires=" + expires + "]";
    }
}
