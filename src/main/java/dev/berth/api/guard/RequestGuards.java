package dev.berth.api.guard;

import dev.berth.api.RegistryFilters;
import java.util.List;
import org.apache.catalina.core.StandardHost;
import org.springframework.boot.tomcat.servlet.TomcatServletWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Installs the bounds no request may exceed: in Tomcat, the per-client request limit, the handling of
 * unread bodies and the JSON error report; as a filter of the {@code /v2} API, the body rate.
 */
@Configuration(proxyBeanMethods = false)
class RequestGuards {

    @Bean
    FilterRegistrationBean<SlowBodyFilter> slowBodyFilter(RequestLimits limits) {
        FilterRegistrationBean<SlowBodyFilter> registration =
                new FilterRegistrationBean<>(new SlowBodyFilter(limits.slowBody()));
        registration.setUrlPatterns(List.of(RegistryFilters.PATHS));
        registration.setOrder(RegistryFilters.ROUTE_PARSED + 10);
        return registration;
    }

    @Bean
    WebServerFactoryCustomizer<TomcatServletWebServerFactory> tomcatRequestGuards(RequestLimits limits) {
        return factory -> {
            // In this order: a request over its client's limit is refused before anything else is done.
            factory.addContextValves(new ClientRequestLimitValve(limits.requestsPerClient()),
                    new UnreadBodyValve(limits));
            factory.addContextCustomizers(context -> {
                if (context.getParent() instanceof StandardHost host) {
                    host.setErrorReportValveClass(OciErrorReportValve.class.getName());
                }
            });
        };
    }
}
