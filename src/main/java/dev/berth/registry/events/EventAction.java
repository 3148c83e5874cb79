package dev.berth.registry.events;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/** What happened, as Distribution's events name it. */
public enum EventAction {
    /** A manifest was pushed. */
    PUSH,
    /** A manifest was pulled (GET, not HEAD). */
    PULL,
    /** A manifest, a tag or a blob was deleted from a repository. */
    DELETE,
    /** A blob was mounted from another repository. */
    MOUNT;

    @JsonValue
    public String value() {
        return name().toLowerCase(Locale.ROOT);
    }
}
