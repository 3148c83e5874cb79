package dev.berth.api;

import dev.berth.registry.ErrorCode;
import dev.berth.registry.FailureTranslator;
import dev.berth.registry.RegistryException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;
import org.springframework.web.ErrorResponse;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import tools.jackson.databind.json.JsonMapper;

/**
 * Turns every failure into the spec's JSON error body with the right status. The body is written by hand
 * because a client's Accept header (say, a manifest type) must not stop it from reading the error.
 */
@RestControllerAdvice
public class OciErrorHandler {

    /**
     * Request attribute set when the client's body was cut off for arriving too slowly: whatever error the
     * endpoint reports then, the answer is 408 Request Timeout.
     */
    public static final String BODY_TOO_SLOW = OciErrorHandler.class.getName() + ".bodyTooSlow";

    private static final Logger log = LoggerFactory.getLogger(OciErrorHandler.class);

    private final JsonMapper json;

    public OciErrorHandler(JsonMapper json) {
        this.json = json;
    }

    /**
     * Answers any failure: of a {@code /v2} request (from {@link RegistryServlet}) and of Spring MVC's own. The
     * registry's errors, and the failures below it as the registry reports them ({@link FailureTranslator}),
     * carry their whole answer; Spring's own refusals keep their status; anything else is a bug: 500, logged.
     */
    @ExceptionHandler(Exception.class)
    public void handle(Exception e, HttpServletRequest request, HttpServletResponse response) throws IOException {
        Optional<RegistryException> error = FailureTranslator.translate(e);
        if (error.isPresent()) {
            answer(error.get(), request, response);
        } else if (e instanceof ErrorResponse refusal) {
            // Spring's own refusals (no such resource outside /v2, an unreadable request) keep their status.
            respondWithStatus(refusal.getStatusCode().value(), request, response);
        } else {
            unexpected(e, request, response);
        }
    }

    /** The error's status (408 instead if the body came too slowly), headers and body. */
    private void answer(RegistryException e, HttpServletRequest request, HttpServletResponse response)
            throws IOException {
        log.atLevel(e.isRegistryFault() ? Level.WARN : Level.DEBUG)
                .log("{} {}{}", request.getMethod(), request.getRequestURI(), e.logText());
        if (response.isCommitted()) {
            return;
        }
        e.headers().forEach(response::setHeader);
        response.setStatus(request.getAttribute(BODY_TOO_SLOW) != null ? HttpServletResponse.SC_REQUEST_TIMEOUT
                : e.code().status());
        writeBody(response, e.code().code(), e.getMessage(), e.detail(), request);
    }

    /** Answers a failure that has only an HTTP status with the spec's body and the code that status implies. */
    void respondWithStatus(int status, HttpServletRequest request, HttpServletResponse response) throws IOException {
        if (response.isCommitted()) {
            return;
        }
        String code = switch (status) {
            case 404, 405 -> ErrorCode.UNSUPPORTED.code();
            case 400 -> originalUri(request).contains("/blobs/uploads/")
                    ? ErrorCode.BLOB_UPLOAD_INVALID.code() : ErrorCode.UNSUPPORTED.code();
            default -> "UNKNOWN";
        };
        response.setStatus(status);
        writeBody(response, code, status == 404 ? "no such resource" : "the request could not be served (HTTP "
                + status + ")", null, request);
    }

    private static String originalUri(HttpServletRequest request) {
        Object forwarded = request.getAttribute(jakarta.servlet.RequestDispatcher.ERROR_REQUEST_URI);
        return forwarded instanceof String uri ? uri : request.getRequestURI();
    }

    private void unexpected(Exception e, HttpServletRequest request, HttpServletResponse response) throws IOException {
        if (response.isCommitted()) {
            // Mid-stream (a client that went away while reading): there is nobody left to answer.
            log.debug("{} {} ended early: {}", request.getMethod(), request.getRequestURI(), e.toString());
            return;
        }
        log.error("{} {} failed unexpectedly", request.getMethod(), request.getRequestURI(), e);
        response.setStatus(HttpServletResponse.SC_INTERNAL_SERVER_ERROR);
        writeBody(response, "UNKNOWN", "internal error; the registry's log has the details", null, request);
    }

    private void writeBody(HttpServletResponse response, String code, String message, Object detail,
            HttpServletRequest request) throws IOException {
        byte[] body = json.writeValueAsBytes(ErrorBody.of(code, message, detail));
        request.setAttribute(ErrorBody.CODE_ATTRIBUTE, code);
        response.setContentType("application/json");
        response.setContentLength(body.length);
        if (!"HEAD".equals(request.getMethod())) {
            response.getOutputStream().write(body);
        }
    }
}
