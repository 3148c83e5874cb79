package dev.berth.api.guard;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Gives every registry request a body held to {@link RequestLimits.SlowBody}: a client that trickles its
 * body (a byte now and then, to hold a worker thread) is cut off instead of being waited for.
 */
final class SlowBodyFilter extends OncePerRequestFilter {

    private final RequestLimits.SlowBody limits;

    SlowBodyFilter(RequestLimits.SlowBody limits) {
        this.limits = limits;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        chain.doFilter(new HttpServletRequestWrapper(request) {
            private ServletInputStream guarded;

            @Override
            public ServletInputStream getInputStream() throws IOException {
                if (guarded == null) {
                    guarded = new RateGuardedInputStream(request, super.getInputStream(), new BodyRate(limits));
                }
                return guarded;
            }
        }, response);
    }
}
