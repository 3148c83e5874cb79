package dev.berth.ops;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.boot.logging.LogLevel;

/**
 * The access log: one line per request of the registry port, written by the logger {@code dev.berth.access}.
 *
 * @param enabled whether to write it at all
 * @param level the level its lines are written at; {@code debug} keeps them out of the default log (INFO)
 *     until {@code logging.level.dev.berth.access=debug} asks for them
 */
@ConfigurationProperties("berth.access-log")
public record AccessLogProperties(@DefaultValue("true") boolean enabled, @DefaultValue("info") LogLevel level) {
}
