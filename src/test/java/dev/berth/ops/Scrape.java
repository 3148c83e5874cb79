package dev.berth.ops;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads values out of a Prometheus text scrape. */
record Scrape(String text) {

    /**
     * The value of the series {@code name{labels}} (labels as written, e.g. {@code reason="idle"}). A series the
     * scrape does not have fails the test: a metric that is missing must not pass for one that reads 0.
     */
    double value(String name, String labels) {
        String series = labels == null || labels.isEmpty() ? Pattern.quote(name) + "(?:\\{[^}]*\\})?"
                : Pattern.quote(name) + "\\{[^}]*" + Pattern.quote(labels) + "[^}]*\\}";
        Matcher m = Pattern.compile("(?m)^" + series + " (\\S+)$").matcher(text);
        if (!m.find()) {
            throw new AssertionError("the scrape has no series " + name + (labels == null ? "" : "{" + labels + "}"));
        }
        return Double.parseDouble(m.group(1));
    }

    double value(String name) {
        return value(name, null);
    }
}
