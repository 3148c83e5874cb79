package dev.berth.settings;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Turns an {@link InvalidSettingException}, wherever in start-up it was thrown, into Spring Boot's
 * "APPLICATION FAILED TO START" report: a description naming the property and an action. Registered in
 * META-INF/spring.factories.
 */
public class InvalidSettingFailureAnalyzer extends AbstractFailureAnalyzer<InvalidSettingException> {

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, InvalidSettingException cause) {
        String description = cause.getMessage();
        Throwable root = cause;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        if (root != cause) {
            description += "\n\nCause: " + root;
        }
        return new FailureAnalysis(description, cause.action(), cause);
    }
}
