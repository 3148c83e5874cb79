package dev.berth.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/** The spec's error body: {@code {"errors":[{"code","message","detail"}]}}. */
record ErrorBody(List<Entry> errors) {

    static ErrorBody of(String code, String message, Object detail) {
        return new ErrorBody(List.of(new Entry(code, message, detail)));
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Entry(String code, String message, Object detail) {
    }
}
