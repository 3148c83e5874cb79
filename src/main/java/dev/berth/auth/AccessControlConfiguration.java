package dev.berth.auth;

import dev.berth.api.OciErrorHandler;
import dev.berth.api.RegistryFilters;
import dev.berth.settings.InvalidSettingException;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.condition.ConditionalOnExpression;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Wires the {@link Authenticator} of {@code berth.auth.mode} (one configuration per mode) and, when there is
 * one, the {@link AccessControlFilter} in front of the registry API, after the route is parsed.
 */
@Configuration(proxyBeanMethods = false)
class AccessControlConfiguration {

    private static final Logger log = LoggerFactory.getLogger(AccessControlConfiguration.class);

    /** After the route parse and the request limits, right before the servlet. */
    static final int ORDER = RegistryFilters.ROUTE_PARSED + 100;

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnProperty(prefix = "berth.auth", name = "mode", havingValue = "htpasswd")
    static class HtpasswdMode {

        @Bean
        Authenticator htpasswdAuthenticator(AuthProperties properties) {
            HtpasswdRights rights = new HtpasswdRights(properties.htpasswd().access());
            if (rights.restricted()) {
                log.info("htpasswd users' rights: {} rules of {}", rights.size(), HtpasswdRights.PROPERTY);
            }
            return new HtpasswdAuthenticator(properties.htpasswd().path(), properties.realm(), rights);
        }
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnProperty(prefix = "berth.auth", name = "mode", havingValue = "token")
    static class TokenMode {

        @Bean
        Authenticator tokenAuthenticator(AuthProperties properties) {
            return new TokenAuthenticator(properties.token());
        }
    }

    /** One count of failed logins per replica, whether the password came to the API or to the web UI. */
    @Bean
    LoginThrottle loginThrottle(AuthProperties properties, Optional<Clock> clock) {
        return new LoginThrottle(properties.loginThrottle().maxFailures(), properties.loginThrottle().window(),
                clock.orElse(Clock.systemUTC()));
    }

    @Bean
    RegistryAccess registryAccess(AuthProperties properties, Optional<Authenticator> authenticator,
            LoginThrottle throttle) {
        if (properties.mode() != AuthProperties.Mode.HTPASSWD && !properties.htpasswd().access().isEmpty()) {
            // Rules that do not apply would leave the registry more open than its operator believes.
            throw new InvalidSettingException(HtpasswdRights.PROPERTY, "lists rules, but berth.auth.mode is "
                    + properties.mode().name().toLowerCase() + ", where they would not apply", "Set"
                    + " berth.auth.mode=htpasswd with berth.auth.htpasswd.path, or remove the rules.");
        }
        return new RegistryAccess(properties.mode(), authenticator.orElse(null), throttle,
                properties.anonymousPull());
    }

    @Bean
    @ConditionalOnExpression("!'${berth.auth.mode:none}'.equalsIgnoreCase('none')")
    FilterRegistrationBean<AccessControlFilter> accessControlFilter(Authenticator authenticator,
            AuthProperties properties, RegistryAccess rules, OciErrorHandler errors, LoginThrottle throttle) {
        log.info("Registry API access control: mode {}, anonymous pull for {}",
                properties.mode().name().toLowerCase(), properties.anonymousPull());
        FilterRegistrationBean<AccessControlFilter> registration = new FilterRegistrationBean<>(
                new AccessControlFilter(authenticator, rules, throttle, errors));
        registration.setUrlPatterns(List.of(RegistryFilters.PATHS));
        registration.setOrder(ORDER);
        return registration;
    }
}
