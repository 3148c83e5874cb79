package dev.berth.ops;

import ch.qos.logback.classic.PatternLayout;
import ch.qos.logback.classic.pattern.MessageConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;
import org.springframework.boot.context.event.ApplicationStartingEvent;
import org.springframework.context.ApplicationListener;

/**
 * Every log message is written with its control characters escaped ({@code \n} as {@code \\n}, others as
 * {@code \\u001b}), so that a value taken from a request (a digest, a tag, a path) can never forge a log line
 * or send escape sequences to a terminal. Registered before logging starts (META-INF/spring.factories), it
 * replaces the message conversion of every pattern Spring Boot's logging sets up. Spring Boot's own reports
 * (a failed start's description, the conditions report), which carry no request data, keep their lines.
 */
public final class EscapedLogMessages implements ApplicationListener<ApplicationStartingEvent> {

    @Override
    public void onApplicationEvent(ApplicationStartingEvent event) {
        for (String word : new String[] {"m", "msg", "message"}) {
            PatternLayout.DEFAULT_CONVERTER_SUPPLIER_MAP.put(word, EscapedMessageConverter::new);
        }
    }

    /** Logback's message conversion, escaped. */
    public static final class EscapedMessageConverter extends MessageConverter {

        @Override
        public String convert(ILoggingEvent event) {
            String message = super.convert(event);
            String logger = event.getLoggerName();
            if (logger != null && (logger.startsWith("org.springframework.boot.diagnostics.")
                    || logger.startsWith("org.springframework.boot.autoconfigure.logging."))) {
                return message;
            }
            return escape(message);
        }
    }

    /** {@code text} with every ISO control character except tab escaped; the text itself when it has none. */
    public static String escape(String text) {
        if (text == null) {
            return null;
        }
        int first = -1;
        for (int i = 0; i < text.length(); i++) {
            if (needsEscape(text.charAt(i))) {
                first = i;
                break;
            }
        }
        if (first < 0) {
            return text;
        }
        StringBuilder escaped = new StringBuilder(text.length() + 16).append(text, 0, first);
        for (int i = first; i < text.length(); i++) {
            char c = text.charAt(i);
            if (!needsEscape(c)) {
                escaped.append(c);
            } else if (c == '\n') {
                escaped.append("\\n");
            } else if (c == '\r') {
                escaped.append("\\r");
            } else {
                escaped.append(String.format("\\u%04x", (int) c));
            }
        }
        return escaped.toString();
    }

    private static boolean needsEscape(char c) {
        return Character.isISOControl(c) && c != '\t';
    }
}
