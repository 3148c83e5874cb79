package dev.berth.ui;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * The UI's paths carry no escapes, dot segments, empty segments or {@code ;parameters} (repository names and
 * digests travel in the query string), so a path with any of them was rewritten by the container and is
 * refused with a 400 page, as the API refuses such paths under {@code /v2/}.
 */
final class UiPathFilter extends OncePerRequestFilter {

    private static final String REFUSAL = "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            + "<title>Bad request · Berth</title></head><body><h1>400 Bad request</h1>"
            + "<p>The address is not in canonical form.</p><p><a href=\"/ui/\">Repositories</a></p></body></html>";

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String raw = request.getRequestURI().substring(request.getContextPath().length());
        String served = request.getServletPath() + (request.getPathInfo() == null ? "" : request.getPathInfo());
        if (!canonical(raw, served)) {
            byte[] body = REFUSAL.getBytes(StandardCharsets.UTF_8);
            response.setStatus(HttpServletResponse.SC_BAD_REQUEST);
            response.setContentType("text/html;charset=UTF-8");
            response.setContentLength(body.length);
            response.getOutputStream().write(body);
            return;
        }
        chain.doFilter(request, response);
    }

    static boolean canonical(String raw, String served) {
        return raw.equals(served) && raw.indexOf('%') < 0 && raw.indexOf(';') < 0 && !raw.contains("//")
                && !raw.contains("/./") && !raw.contains("/../") && !raw.endsWith("/.") && !raw.endsWith("/..");
    }

    @Configuration(proxyBeanMethods = false)
    @UiEnabled
    static class Registration {

        @Bean
        FilterRegistrationBean<UiPathFilter> uiPathFilter() {
            FilterRegistrationBean<UiPathFilter> registration = new FilterRegistrationBean<>(new UiPathFilter());
            registration.setUrlPatterns(List.of("/ui", "/ui/*"));
            registration.setOrder(Ordered.HIGHEST_PRECEDENCE + 20);
            return registration;
        }
    }
}
