package dev.berth.auth;

import java.time.Duration;

/**
 * The outcome of a password sign-in outside the registry API (the web UI's form).
 *
 * @param user the user the password proved, or null when it proved nobody
 * @param retryAfter how long the client must wait before trying again (too many wrong passwords), or null
 */
public record SignInCheck(String user, Duration retryAfter) {

    public boolean succeeded() {
        return user != null;
    }
}
