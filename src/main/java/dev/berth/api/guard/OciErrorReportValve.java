package dev.berth.api.guard;

import dev.berth.api.ErrorBody;
import java.io.IOException;
import java.io.Writer;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.valves.ErrorReportValve;

/**
 * Answers the requests Tomcat refuses before any of Berth's code runs (a {@code %2F}, {@code %00} or raw
 * non-ASCII byte in the path, an unencoded {@code [} in the query, a malformed header) with the registry's
 * JSON error body instead of Tomcat's HTML page, so every client reads a refusal it understands. Tomcat
 * creates it by class name, hence the public no-argument constructor.
 */
public final class OciErrorReportValve extends ErrorReportValve {

    @Override
    protected void report(Request request, Response response, Throwable throwable) {
        int status = response.getStatus();
        if (status < 400 || response.getContentWritten() > 0 || !response.setErrorReported()) {
            return;
        }
        String code = switch (status) {
            case 401 -> "UNAUTHORIZED";
            case 403 -> "DENIED";
            case 429 -> "TOOMANYREQUESTS";
            default -> "UNSUPPORTED";
        };
        String message = status == 404 ? "no such resource"
                : status < 500 ? "the request is malformed and was refused (HTTP " + status + ")"
                : "the request could not be served (HTTP " + status + ")";
        request.setAttribute(ErrorBody.CODE_ATTRIBUTE, code);
        try {
            response.setContentType("application/json");
            response.setCharacterEncoding("UTF-8");
            response.setHeader("Docker-Distribution-API-Version", "registry/2.0");
            Writer writer = response.getReporter();
            if (writer != null) {
                writer.write("{\"errors\":[{\"code\":\"" + code + "\",\"message\":\"" + message + "\"}]}");
                response.finishResponse();
            }
        } catch (IOException | IllegalStateException e) {
            // The client is gone or the answer was already on its way: nothing more to say.
        }
    }
}
