package dev.berth.ui;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The web UI under {@code /ui/} on the API port.
 *
 * @param enabled whether the UI is served at all (off: {@code /ui/} and {@code /} answer 404 like any unknown
 *     path)
 * @param publicHost the registry's host (and port) as clients pull from it, shown in the pull commands;
 *     unset: the request's {@code Host}
 * @param sessionKey base64 key (at least 32 bytes) signing sign-in cookies and delete confirmations; must
 *     be the same on every replica behind one load balancer. Unset: a random key per process, so a sign-in
 *     or a confirmation is good only on the replica that made it
 * @param sessionLifetime how long a sign-in lasts
 */
@ConfigurationProperties("berth.ui")
public record UiProperties(@DefaultValue("true") boolean enabled, String publicHost, String sessionKey,
        @DefaultValue("8h") Duration sessionLifetime) {
}
