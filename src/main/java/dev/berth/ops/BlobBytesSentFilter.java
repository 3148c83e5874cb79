package dev.berth.ops;

import dev.berth.api.RegistryRoute;
import dev.berth.api.RouteParsingFilter;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpServletResponseWrapper;
import java.io.IOException;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Counts the blob bytes Berth answers pulls with ({@code berth.blobs.sent}): the length each {@code 200} or
 * {@code 206} answer to a blob {@code GET} declares. The length is taken as declared rather than counted as
 * written so that a file the kernel sends on its own (sendfile) is counted too; a client that hangs up early
 * is counted in full, and a redirect to the store counts nothing (the store sends those bytes).
 */
final class BlobBytesSentFilter extends OncePerRequestFilter {

    private final Counter sent;

    BlobBytesSentFilter(MeterRegistry registry) {
        this.sent = Counter.builder("berth.blobs.sent").baseUnit("bytes")
                .description("blob bytes sent in answers to pulls (GET of a blob)").register(registry);
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        if (!"GET".equals(request.getMethod())) {
            chain.doFilter(request, response);
            return;
        }
        DeclaredLength answer = new DeclaredLength(response);
        chain.doFilter(request, answer);
        int status = answer.getStatus();
        if ((status == HttpServletResponse.SC_OK || status == HttpServletResponse.SC_PARTIAL_CONTENT)
                && answer.length > 0 && RouteParsingFilter.parsedRoute(request)
                        .filter(route -> route.kind() == RegistryRoute.Kind.BLOB).isPresent()) {
            sent.increment(answer.length);
        }
    }

    /** The response, noting the Content-Length the endpoint declares. */
    private static final class DeclaredLength extends HttpServletResponseWrapper {

        private long length = -1;

        DeclaredLength(HttpServletResponse response) {
            super(response);
        }

        @Override
        public void setContentLength(int length) {
            this.length = length;
            super.setContentLength(length);
        }

        @Override
        public void setContentLengthLong(long length) {
            this.length = length;
            super.setContentLengthLong(length);
        }

        @Override
        public void setHeader(String name, String value) {
            if ("Content-Length".equalsIgnoreCase(name)) {
                this.length = value == null ? -1 : Long.parseLong(value);
            }
            super.setHeader(name, value);
        }
    }
}
