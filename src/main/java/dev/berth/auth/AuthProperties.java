package dev.berth.auth;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Who may use the registry API ({@code /v2/...}); Actuator on the management port is not affected.
 *
 * @param mode {@code none} (anyone may do anything), {@code htpasswd} (HTTP Basic against a bcrypt
 *     htpasswd file; every known user may do anything, unless {@code htpasswd.access} lists rules) or {@code token} (Docker token authentication:
 *     JWT bearer tokens from an external token server, checked per repository and action)
 * @param realm the realm named in Basic challenges
 * @param anonymousPull repository name patterns anyone may pull without credentials ({@code *} matches
 *     within one path component, {@code **} across components: {@code public/**})
 * @param htpasswd settings of the {@code htpasswd} mode
 * @param token settings of the {@code token} mode
 * @param loginThrottle how many wrong passwords a client may try before it must wait
 */
@ConfigurationProperties("berth.auth")
public record AuthProperties(@DefaultValue("none") Mode mode, @DefaultValue("Berth") String realm,
        @DefaultValue List<String> anonymousPull, @DefaultValue Htpasswd htpasswd, @DefaultValue Token token,
        @DefaultValue LoginThrottle loginThrottle) {

    public enum Mode {
        NONE, HTPASSWD, TOKEN
    }

    /**
     * Failed password logins are counted per client address and user, and per client address alone (five
     * times as many); past either limit the client is answered {@code 429 TOOMANYREQUESTS} with
     * {@code Retry-After} until the window ends, without its password being checked.
     *
     * @param maxFailures wrong passwords allowed per client address and user in one window (0: no limit)
     * @param window the length of a counting window
     */
    public record LoginThrottle(@DefaultValue("10") int maxFailures, @DefaultValue("1m") Duration window) {
    }

    /**
     * @param path the htpasswd file ({@code htpasswd -B} entries); re-read when it changes
     * @param access what each user may do: a user's rights on a repository are the union of every rule
     *     naming both; empty (the default): every user may do everything
     */
    public record Htpasswd(Path path, @DefaultValue List<Rule> access) {

        /**
         * One grant, as in zot's {@code accessControl}: these users may do these actions on these repositories.
         *
         * @param repositories repository name patterns ({@code *} within one path component, {@code **}
         *     across components)
         * @param users htpasswd user names; {@code *} for every user of the file
         * @param actions {@code pull}, {@code push}, {@code delete}, or {@code *} for all three
         */
        public record Rule(List<String> repositories, List<String> users, List<String> actions) {
        }
    }

    /**
     * @param realm URL of the token server, sent to clients in the Bearer challenge
     * @param service this registry's name at the token server; tokens must name it as audience
     * @param issuer the {@code iss} tokens must carry
     * @param certificates PEM files of X.509 certificates or public keys ({@code BEGIN PUBLIC KEY}) that
     *     may have signed tokens
     * @param jwks a JWKS file path or {@code http(s)://} URL of the signing keys (with or instead of
     *     {@code certificates})
     * @param clockSkew tolerance for {@code exp} and {@code nbf}
     * @param clientId the {@code client_id} Berth names when it asks the token server itself (web UI sign-in)
     * @param requestTimeout how long Berth waits to connect to the token server, and again for its answer
     */
    public record Token(String realm, String service, String issuer, @DefaultValue List<Path> certificates,
            String jwks, @DefaultValue("60s") Duration clockSkew, @DefaultValue("berth-ui") String clientId,
            @DefaultValue("5s") Duration requestTimeout) {
    }
}
