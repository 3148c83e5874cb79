package dev.berth.auth;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

/**
 * The registry's access rules, for the API filter and the web UI alike: what an identity, or an anonymous
 * caller, may do ({@link #allows(Identity, Access)}, the one decision both ask), and for the web UI who a
 * user name and password prove, with the same {@link Authenticator} and {@link LoginThrottle} as
 * {@code docker login}. A user is named by the sign-in, so only the
 * {@code htpasswd} mode can sign in here; token mode's rights live in tokens a browser does not carry, so
 * there a visitor has the anonymous pull rights only.
 */
public final class RegistryAccess {

    private final AuthProperties.Mode mode;
    private final Authenticator authenticator;
    private final LoginThrottle throttle;
    private final List<RepositoryPattern> anonymousPull;

    RegistryAccess(AuthProperties.Mode mode, Authenticator authenticator, LoginThrottle throttle,
            List<String> anonymousPull) {
        this.mode = mode;
        this.authenticator = authenticator;
        this.throttle = throttle;
        this.anonymousPull = anonymousPull.stream().map(RepositoryPattern::of).toList();
    }

    public AuthProperties.Mode mode() {
        return mode;
    }

    /** Whether a person can sign in with a user name and password (htpasswd mode). */
    public boolean passwordSignIn() {
        return mode == AuthProperties.Mode.HTPASSWD;
    }

    /** Checks a password from {@code client}, counting failures as the API does. */
    public SignInCheck signIn(String client, String user, String password) {
        if (!passwordSignIn() || user == null || user.isEmpty() || user.indexOf(':') >= 0 || password == null) {
            return new SignInCheck(null, null);
        }
        Optional<Duration> wait = throttle.wait(client, user);
        if (wait.isPresent()) {
            return new SignInCheck(null, wait.get());
        }
        String header = "Basic " + Base64.getEncoder().encodeToString((user + ":" + password)
                .getBytes(StandardCharsets.UTF_8));
        Authentication result = authenticator.authenticate(header);
        if (!result.succeeded()) {
            throttle.failed(client, user);
            return new SignInCheck(null, null);
        }
        throttle.succeeded(client, user);
        return new SignInCheck(result.identity().subject(), null);
    }

    /** Whether the signed-in {@code user} (null: nobody signed in) may do {@code access}, as on the API. */
    public boolean allows(String user, Access access) {
        if (mode == AuthProperties.Mode.NONE) {
            return true;
        }
        Identity identity = mode == AuthProperties.Mode.HTPASSWD
                && authenticator instanceof HtpasswdAuthenticator htpasswd ? htpasswd.identity(user) : null;
        return allows(identity, access);
    }

    /** Whether a caller proven to be {@code identity} (null: anonymous) may do {@code access}. */
    boolean allows(Identity identity, Access access) {
        return (identity != null && identity.allows(access)) || anonymous(access);
    }

    /** Whether anyone may do {@code access} without credentials ({@code berth.auth.anonymous-pull}). */
    boolean anonymous(Access access) {
        return access.type().equals("repository") && access.action().equals(Access.PULL)
                && anonymousPull.stream().anyMatch(p -> p.matches(access.name()));
    }

    /** Whether {@code user} is still someone who may sign in (an htpasswd entry removed since: no longer). */
    public boolean stillKnown(String user) {
        return authenticator instanceof HtpasswdAuthenticator htpasswd && htpasswd.knows(user);
    }
}
