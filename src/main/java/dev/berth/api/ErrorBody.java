package dev.berth.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/** The spec's error body: {@code {"errors":[{"code","message","detail"}]}}. */
public record ErrorBody(List<Entry> errors) {

    /** Request attribute: the code of the error body written for the request, for the access log. */
    public static final String CODE_ATTRIBUTE = ErrorBody.class.getName() + ".code";

    public static ErrorBody of(String code, String message, Object detail) {
        return new ErrorBody(List.of(new Entry(code, message, detail)));
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Entry(String code, String message, Object detail) {
    }
}
