package dev.berth.auth;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The registry API's access rules for callers other than the API filter (the web UI): who a user name and
 * password prove, with the same {@link Authenticator} and {@link LoginThrottle} as {@code docker login}, and
 * what a signed-in user, or an anonymous visitor, may do. A user is named by the sign-in, so only the
 * {@code htpasswd} mode can sign in here; token mode's rights live in tokens a browser does not carry, so
 * there a visitor has the anonymous pull rights only.
 */
public final class RegistryAccess {

    private final AuthProperties.Mode mode;
    private final Authenticator authenticator;
    private final LoginThrottle throttle;
    private final List<Pattern> anonymousPull;

    RegistryAccess(AuthProperties.Mode mode, Authenticator authenticator, LoginThrottle throttle,
            List<String> anonymousPull) {
        this.mode = mode;
        this.authenticator = authenticator;
        this.throttle = throttle;
        this.anonymousPull = anonymousPull.stream().map(AccessControlFilter::globToRegex).toList();
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

    /** Whether {@code user} (null: nobody signed in) may do {@code access}. */
    public boolean allows(String user, Access access) {
        if (mode == AuthProperties.Mode.NONE) {
            return true;
        }
        if (user != null && mode == AuthProperties.Mode.HTPASSWD
                && authenticator instanceof HtpasswdAuthenticator htpasswd && htpasswd.knows(user)) {
            return true; // every htpasswd user may do everything, as on the API
        }
        return access.type().equals("repository") && access.action().equals(Access.PULL)
                && anonymousPull.stream().anyMatch(p -> p.matcher(access.name()).matches());
    }

    /** Whether {@code user} is still someone who may sign in (an htpasswd entry removed since: no longer). */
    public boolean stillKnown(String user) {
        return authenticator instanceof HtpasswdAuthenticator htpasswd && htpasswd.knows(user);
    }
}
