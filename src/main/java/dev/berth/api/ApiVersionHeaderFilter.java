package dev.berth.api;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.web.filter.OncePerRequestFilter;

/** Every answer of the API port, errors included, names the API version: clients check it to detect a registry. */
final class ApiVersionHeaderFilter extends OncePerRequestFilter {

    static final String HEADER = "Docker-Distribution-API-Version";
    static final String VALUE = "registry/2.0";

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        response.setHeader(HEADER, VALUE);
        chain.doFilter(request, response);
    }
}
