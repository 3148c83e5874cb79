package dev.berth.api.guard;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * What one client may cost a replica, whatever it sends.
 *
 * @param requestsPerClient registry requests one client address may have in flight at once; more are
 *     answered {@code 429 TOOMANYREQUESTS} at once (0: no limit). The address is the connection's, or the
 *     {@code X-Forwarded-For} one when the proxy in front is trusted ({@code server.forward-headers-strategy})
 * @param slowBody the least a request body must deliver while Berth waits for it
 * @param maxUnreadBody the most of a request body Berth reads and discards after answering before the end of
 *     the body (a refusal); when more is left, or it comes too slowly, the connection is closed instead
 */
@ConfigurationProperties("berth.limits")
public record RequestLimits(@DefaultValue("64") int requestsPerClient, @DefaultValue SlowBody slowBody,
        @DefaultValue("1MB") DataSize maxUnreadBody) {

    /**
     * A body that delivers less than {@code minBytes} during {@code window} of Berth waiting for it is cut
     * off: the request is answered 408 and the connection closed. Time Berth spends elsewhere (writing to
     * the store) does not count against the client.
     *
     * @param minBytes bytes a body must deliver per window
     * @param window the waiting time over which the rate is judged
     */
    public record SlowBody(@DefaultValue("16KB") DataSize minBytes, @DefaultValue("20s") Duration window) {
    }
}
