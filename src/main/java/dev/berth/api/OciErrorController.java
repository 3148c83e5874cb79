package dev.berth.api;

import jakarta.servlet.RequestDispatcher;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.boot.webmvc.error.ErrorController;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * Errors the servlet container raises outside Berth's handlers (a request body that broke off, a request
 * refused before reaching a controller) get the spec's error body too, instead of Spring's default page.
 */
@RestController
class OciErrorController implements ErrorController {

    private final OciErrorHandler handler;

    OciErrorController(OciErrorHandler handler) {
        this.handler = handler;
    }

    @RequestMapping("${server.error.path:/error}")
    void error(HttpServletRequest request, HttpServletResponse response) throws IOException {
        Object status = request.getAttribute(RequestDispatcher.ERROR_STATUS_CODE);
        handler.respondWithStatus(status instanceof Integer code ? code : HttpServletResponse.SC_INTERNAL_SERVER_ERROR,
                request, response);
    }
}
