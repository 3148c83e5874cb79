package dev.berth.ui;

import java.util.List;
import java.util.Map;

/**
 * The parts of an image's config blob a person looks for; {@code problem} says why there is nothing else
 * (too large to read, missing, not JSON).
 */
record ConfigView(String problem, String created, String platform, List<String> entrypoint, List<String> cmd,
        List<String> env, Map<String, String> labels, List<History> history, boolean historyCut) {

    static ConfigView unreadable(String problem) {
        return new ConfigView(problem, null, null, List.of(), List.of(), List.of(), Map.of(), List.of(), false);
    }

    /** One step of the image's build history. */
    record History(String created, String createdBy, boolean emptyLayer) {
    }
}
