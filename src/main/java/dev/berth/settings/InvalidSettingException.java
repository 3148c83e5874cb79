package dev.berth.settings;

/**
 * A setting Berth cannot start with: names the property, says what is wrong with it and what to do. Start-up
 * reports it as Spring Boot reports its own configuration mistakes ({@link InvalidSettingFailureAnalyzer}),
 * instead of a chain of bean-creation failures with the useful sentence at the bottom.
 */
public class InvalidSettingException extends IllegalStateException {

    private final String property;
    private final String action;

    /**
     * @param property the property to set or change, e.g. {@code berth.auth.htpasswd.path}
     * @param problem what is wrong, as a sentence about the property's value
     * @param action what the operator should do
     */
    public InvalidSettingException(String property, String problem, String action) {
        this(property, problem, action, null);
    }

    public InvalidSettingException(String property, String problem, String action, Throwable cause) {
        super(property + ": " + problem, cause);
        this.property = property;
        this.action = action;
    }

    public String property() {
        return property;
    }

    public String action() {
        return action;
    }
}
