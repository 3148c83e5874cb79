package dev.berth.ops;

import org.slf4j.event.Level;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.tomcat.servlet.TomcatServletWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Puts the {@link AccessLogValve} in front of the registry port, unless {@code berth.access-log.enabled=false}. */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(prefix = "berth.access-log", name = "enabled", havingValue = "true", matchIfMissing = true)
class AccessLogConfiguration {

    @Bean
    WebServerFactoryCustomizer<TomcatServletWebServerFactory> accessLog(AccessLogProperties properties) {
        Level level = switch (properties.level()) {
            case TRACE -> Level.TRACE;
            case DEBUG -> Level.DEBUG;
            case WARN -> Level.WARN;
            case ERROR, FATAL -> Level.ERROR;
            case OFF -> null;
            default -> Level.INFO;
        };
        return factory -> {
            if (level != null) {
                factory.addEngineValves(new AccessLogValve(level));
            }
        };
    }
}
