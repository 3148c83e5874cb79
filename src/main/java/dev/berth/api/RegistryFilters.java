package dev.berth.api;

import java.util.List;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;

/**
 * The filters of the {@code /v2} API, mapped to exactly the paths {@link RegistryServlet} serves, so that what
 * they see is what the servlet serves. Other layers add theirs between {@link #ROUTE_PARSED} and the servlet
 * (request limits, access control), in the order these constants give.
 */
@Configuration(proxyBeanMethods = false)
public class RegistryFilters {

    /** The URL patterns of the registry servlet: every filter of the API uses them. */
    public static final String[] PATHS = {"/v2", "/v2/*"};

    /** After this order the route is parsed ({@link RouteParsingFilter#parsedRoute}). */
    public static final int ROUTE_PARSED = Ordered.HIGHEST_PRECEDENCE + 20;

    @Bean
    FilterRegistrationBean<ApiVersionHeaderFilter> apiVersionHeaderFilter() {
        // On every answer of the API port: a path the container normalised out of /v2 is still the API's.
        FilterRegistrationBean<ApiVersionHeaderFilter> registration =
                new FilterRegistrationBean<>(new ApiVersionHeaderFilter());
        registration.setUrlPatterns(List.of("/*"));
        registration.setOrder(Ordered.HIGHEST_PRECEDENCE + 10);
        return registration;
    }

    @Bean
    FilterRegistrationBean<RouteParsingFilter> routeParsingFilter(OciErrorHandler errors) {
        FilterRegistrationBean<RouteParsingFilter> registration =
                new FilterRegistrationBean<>(new RouteParsingFilter(errors));
        registration.setUrlPatterns(List.of(PATHS));
        registration.setOrder(ROUTE_PARSED);
        return registration;
    }
}
