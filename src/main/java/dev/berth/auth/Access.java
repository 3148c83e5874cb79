package dev.berth.auth;

/**
 * One permission as Docker token authentication spells it: {@code repository:team/app:pull} or
 * {@code registry:catalog:*}.
 */
public record Access(String type, String name, String action) {

    public static final String PULL = "pull";
    public static final String PUSH = "push";
    public static final String DELETE = "delete";

    public static Access repository(String name, String action) {
        return new Access("repository", name, action);
    }

    public static Access catalog() {
        return new Access("registry", "catalog", "*");
    }
}
