package dev.berth.ops;

import dev.berth.api.ErrorBody;
import dev.berth.api.RegistryRoute;
import dev.berth.api.RouteParsingFilter;
import dev.berth.auth.AccessControlFilter;
import jakarta.servlet.ServletException;
import java.io.IOException;
import java.util.Optional;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.valves.ValveBase;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;
import org.slf4j.spi.LoggingEventBuilder;

/**
 * Writes one line per request once it is answered: method, route template (the raw path outside the API),
 * repository, reference or upload id, status, OCI error code, bytes in and out, duration, client address and
 * the authenticated user. The same values travel as key-value pairs, which become JSON fields when
 * structured logging is on (named as the Elastic Common Schema names them; {@code event.duration} in
 * nanoseconds). Never a header, a query string (signed URLs carry their signature there), a
 * credential or a token. An engine valve, so that Tomcat's own refusals are logged too.
 */
final class AccessLogValve extends ValveBase {

    static final String LOGGER = "dev.berth.access";

    private static final Logger log = LoggerFactory.getLogger(LOGGER);

    private final Level level;

    AccessLogValve(Level level) {
        super(true);
        this.level = level;
    }

    @Override
    public void invoke(Request request, Response response) throws IOException, ServletException {
        long started = System.nanoTime();
        try {
            getNext().invoke(request, response);
        } finally {
            if (log.isEnabledForLevel(level)) {
                write(request, response, System.nanoTime() - started);
            }
        }
    }

    private void write(Request request, Response response, long nanos) {
        long millis = nanos / 1_000_000;
        Optional<RegistryRoute> route = RouteParsingFilter.parsedRoute(request);
        String path = route.map(r -> r.kind().template()).orElseGet(request::getRequestURI);
        String repository = route.map(r -> r.name() == null ? null : r.name().value()).orElse(null);
        String reference = route.map(RegistryRoute::reference).orElse(null);
        String error = (String) request.getAttribute(ErrorBody.CODE_ATTRIBUTE);
        String user = (String) request.getAttribute(AccessControlFilter.USER_ATTRIBUTE);
        long in = request.getCoyoteRequest().getBytesRead();
        long out = bytesOut(request, response);
        StringBuilder line = new StringBuilder(160).append(request.getMethod()).append(' ').append(path);
        LoggingEventBuilder event = log.atLevel(level)
                .addKeyValue("http.request.method", request.getMethod())
                .addKeyValue("url.path", path);
        if (repository != null) {
            line.append(" repository=").append(repository);
            event = event.addKeyValue("berth.repository", repository);
        }
        if (reference != null) {
            line.append(" reference=").append(reference);
            event = event.addKeyValue("berth.reference", reference);
        }
        line.append(" status=").append(response.getStatus());
        if (error != null) {
            line.append(" error=").append(error);
            event = event.addKeyValue("error.code", error);
        }
        line.append(" in=").append(in).append(" out=").append(out).append(" duration=").append(millis).append("ms")
                .append(" client=").append(request.getRemoteAddr());
        if (user != null) {
            line.append(" user=").append(user);
            event = event.addKeyValue("user.name", user);
        }
        event.addKeyValue("http.response.status_code", response.getStatus())
                .addKeyValue("http.request.body.bytes", in)
                .addKeyValue("http.response.body.bytes", out)
                .addKeyValue("event.duration", nanos)
                .addKeyValue("client.address", request.getRemoteAddr())
                .log(line.toString());
    }

    /**
     * Body bytes sent; a file handed to the kernel ({@code sendfile}) goes out after this valve returns, so its
     * length is the one the response announced.
     */
    private static long bytesOut(Request request, Response response) {
        long written = response.getBytesWritten(false);
        if (written == 0 && request.getAttribute("org.apache.tomcat.sendfile.filename") != null) {
            return Math.max(0, response.getCoyoteResponse().getContentLengthLong());
        }
        return written;
    }
}
