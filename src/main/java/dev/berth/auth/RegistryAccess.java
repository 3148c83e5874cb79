package dev.berth.auth;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * The registry's access rules, for the API filter and the web UI alike: what an identity, or an anonymous
 * caller, may do ({@link #allows(Identity, Access)}, the one decision both ask), and for the web UI who a
 * user name and password prove, throttled by the same {@link LoginThrottle} as {@code docker login}. In
 * {@code htpasswd} mode the {@link Authenticator} checks the password and the rules of
 * {@code berth.auth.htpasswd.access} give the rights; in {@code token} mode the token server does
 * ({@link TokenSignIn}), and a user's rights are what the access tokens it issues for them grant.
 */
public final class RegistryAccess {

    private final AuthProperties.Mode mode;
    private final Authenticator authenticator;
    private final LoginThrottle throttle;
    private final List<RepositoryPattern> anonymousPull;
    private final TokenSignIn tokens;

    RegistryAccess(AuthProperties.Mode mode, Authenticator authenticator, LoginThrottle throttle,
            List<String> anonymousPull) {
        this.mode = mode;
        this.authenticator = authenticator;
        this.throttle = throttle;
        this.anonymousPull = anonymousPull.stream().map(RepositoryPattern::of).toList();
        this.tokens = mode == AuthProperties.Mode.TOKEN && authenticator instanceof TokenAuthenticator token
                ? new TokenSignIn(new TokenServerClient(token.settings()), token, Clock.systemUTC())
                : null;
    }

    public AuthProperties.Mode mode() {
        return mode;
    }

    /** Whether a person can sign in with a user name and password (htpasswd and token modes). */
    public boolean passwordSignIn() {
        return mode == AuthProperties.Mode.HTPASSWD || tokens != null;
    }

    /**
     * Checks a password from {@code client}, counting failures as the API does.
     *
     * @throws TokenServerException in {@code token} mode, when the token server cannot be asked
     */
    public SignInCheck signIn(String client, String user, String password) {
        if (!passwordSignIn() || user == null || user.isEmpty() || user.indexOf(':') >= 0 || password == null) {
            return new SignInCheck(null, null);
        }
        Optional<Duration> wait = throttle.wait(client, user);
        if (wait.isPresent()) {
            return new SignInCheck(null, wait.get());
        }
        if (tokens != null) {
            TokenSignIn.SignedIn signedIn = tokens.signIn(user, password);
            if (signedIn == null) {
                throttle.failed(client, user);
                return new SignInCheck(null, null);
            }
            throttle.succeeded(client, user);
            return new SignInCheck(signedIn.user(), null, signedIn.credential(), signedIn.expires());
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

    /**
     * What {@code user} (null: nobody signed in), signed in with {@code credential} (the one its
     * {@link SignInCheck} named), may do during one request. In {@code token} mode asking may cost a token
     * request, which throws {@link TokenServerException} when the token server cannot be asked.
     */
    public Rights rights(String user, String credential) {
        if (tokens != null) {
            return new TokenRights(user, credential, tokens, this::anonymous);
        }
        String known = user != null && (mode != AuthProperties.Mode.HTPASSWD || stillKnown(user)) ? user : null;
        return new Rights() {
            @Override
            public boolean signedIn() {
                return known != null;
            }

            @Override
            public void lookUp(Collection<Access> accesses) {
                // nothing to fetch: the rules are all here
            }

            @Override
            public boolean allows(Access access) {
                return RegistryAccess.this.allows(known, access);
            }
        };
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
