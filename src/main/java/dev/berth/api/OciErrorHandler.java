package dev.berth.api;

import dev.berth.memory.BudgetExhaustedException;
import dev.berth.registry.ErrorCode;
import dev.berth.registry.RegistryException;
import dev.berth.registry.upload.UploadOutOfOrderException;
import dev.berth.storage.ObjectNotFoundException;
import dev.berth.storage.StorageException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
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

    /** Answers any failure: of a {@code /v2} request (from {@link RegistryServlet}) and of Spring MVC's own. */
    @ExceptionHandler(Exception.class)
    public void handle(Exception e, HttpServletRequest request, HttpServletResponse response) throws IOException {
        if (e instanceof RegistryException registry) {
            registryError(registry, request, response);
        } else if (e instanceof ObjectNotFoundException gone) {
            vanished(gone, request, response);
        } else if (e instanceof StorageException store) {
            storageError(store, request, response);
        } else if (e instanceof BudgetExhaustedException busy) {
            log.warn("{} {} waited for memory in vain: {}", request.getMethod(), request.getRequestURI(), busy.getMessage());
            response.setHeader("Retry-After", "1");
            write(response, ErrorCode.TOOMANYREQUESTS, "the registry is busy; retry shortly", null, request);
        } else {
            unexpected(e, request, response);
        }
    }

    private void registryError(RegistryException e, HttpServletRequest request, HttpServletResponse response)
            throws IOException {
        if (e instanceof UploadOutOfOrderException outOfOrder) {
            UploadEndpoint.writeUploadHeaders(response, outOfOrder.status());
        } else if (e instanceof RangeNotSatisfiableException range) {
            response.setHeader("Content-Range", "bytes */" + range.size());
        } else if (e instanceof MethodNotAllowedException notAllowed) {
            response.setHeader("Allow", notAllowed.allowHeader());
        }
        log.debug("{} {} -> {} {}", request.getMethod(), request.getRequestURI(), e.code(), e.getMessage());
        write(response, e.code(), e.getMessage(), e.detail(), request);
    }

    /** Data deleted between a request's check and its read (a concurrent delete or purge): gone, not broken. */
    private void vanished(ObjectNotFoundException e, HttpServletRequest request, HttpServletResponse response)
            throws IOException {
        log.debug("{} {}: {}", request.getMethod(), request.getRequestURI(), e.getMessage());
        write(response, ErrorCode.BLOB_UNKNOWN, "the requested data was deleted while the request was served", null,
                request);
    }

    private void storageError(StorageException e, HttpServletRequest request, HttpServletResponse response)
            throws IOException {
        log.warn("{} {} failed in the store: {}", request.getMethod(), request.getRequestURI(), e.getMessage());
        response.setHeader("Retry-After", "1");
        write(response, ErrorCode.UNAVAILABLE, ErrorCode.UNAVAILABLE.message(), null, request);
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
        if (e instanceof ErrorResponse refusal) {
            // Spring's own refusals (no such resource outside /v2, an unreadable request) keep their status.
            respondWithStatus(refusal.getStatusCode().value(), request, response);
            return;
        }
        if (response.isCommitted()) {
            // Mid-stream (a client that went away while reading): there is nobody left to answer.
            log.debug("{} {} ended early: {}", request.getMethod(), request.getRequestURI(), e.toString());
            return;
        }
        log.error("{} {} failed unexpectedly", request.getMethod(), request.getRequestURI(), e);
        response.setStatus(HttpServletResponse.SC_INTERNAL_SERVER_ERROR);
        writeBody(response, "UNKNOWN", "internal error; the registry's log has the details", null, request);
    }

    private void write(HttpServletResponse response, ErrorCode code, String message, Object detail,
            HttpServletRequest request) throws IOException {
        if (response.isCommitted()) {
            return;
        }
        response.setStatus(request.getAttribute(BODY_TOO_SLOW) != null ? HttpServletResponse.SC_REQUEST_TIMEOUT
                : code.status());
        writeBody(response, code.code(), message, detail, request);
    }

    private void writeBody(HttpServletResponse response, String code, String message, Object detail,
            HttpServletRequest request) throws IOException {
        byte[] body = json.writeValueAsBytes(ErrorBody.of(code, message, detail));
        response.setContentType("application/json");
        response.setContentLength(body.length);
        if (!"HEAD".equals(request.getMethod())) {
            response.getOutputStream().write(body);
        }
    }
}
