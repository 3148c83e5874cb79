package dev.berth.ops;

import dev.berth.api.RegistryFilters;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Puts {@link BlobBytesSentFilter} on the registry's paths, right after the route is parsed. */
@Configuration(proxyBeanMethods = false)
class BlobBytesSentFilterRegistration {

    @Bean
    FilterRegistrationBean<BlobBytesSentFilter> blobBytesSentFilter(MeterRegistry registry) {
        FilterRegistrationBean<BlobBytesSentFilter> registration =
                new FilterRegistrationBean<>(new BlobBytesSentFilter(registry));
        registration.setUrlPatterns(List.of(RegistryFilters.PATHS));
        registration.setOrder(RegistryFilters.ROUTE_PARSED + 1);
        return registration;
    }
}
