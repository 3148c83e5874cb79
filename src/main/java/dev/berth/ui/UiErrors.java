package dev.berth.ui;

import dev.berth.auth.TokenServerException;
import dev.berth.registry.ErrorCode;
import dev.berth.registry.RegistryException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.ControllerAdvice;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.servlet.ModelAndView;

/**
 * The UI's refusals as HTML pages, ahead of the API's JSON error bodies: an unknown repository, tag or
 * digest is a 404 page; anything under {@code /ui/} that no page serves is one too. A failing store is a 503
 * page (the API answers the same), and so is a token server that cannot be asked (token mode); no other
 * failure of a page becomes a 5xx.
 */
@Controller
@ControllerAdvice(basePackageClasses = UiErrors.class)
@Order(Ordered.HIGHEST_PRECEDENCE)
@UiEnabled
class UiErrors {

    private static final Logger log = LoggerFactory.getLogger(UiErrors.class);

    private final UiSessions sessions;

    UiErrors(UiSessions sessions) {
        this.sessions = sessions;
    }

    /** Whatever no other mapping under /ui/ serves (mappings with fewer wildcards win). */
    @RequestMapping("/ui/**")
    String unknown(HttpServletRequest request, HttpServletResponse response, Model model) {
        response.setStatus(HttpServletResponse.SC_NOT_FOUND);
        model.addAttribute("viewer", sessions.viewer(request));
        model.addAttribute("status", 404);
        model.addAttribute("message", "There is no such page.");
        return "ui/error";
    }

    @ExceptionHandler(RegistryException.class)
    ModelAndView refused(RegistryException e, HttpServletRequest request, HttpServletResponse response) {
        int status = e.code().status();
        String message = switch (e.code()) {
            case NAME_UNKNOWN, NAME_INVALID -> "There is no such repository, or you may not see it.";
            case MANIFEST_UNKNOWN, TAG_INVALID, DIGEST_INVALID, BLOB_UNKNOWN, MANIFEST_BLOB_UNKNOWN ->
                    "There is no such tag or manifest in this repository.";
            case UNAVAILABLE -> "The registry's storage is unavailable; try again shortly.";
            default -> e.getMessage();
        };
        if (e.code() == ErrorCode.NAME_INVALID || e.code() == ErrorCode.TAG_INVALID
                || e.code() == ErrorCode.DIGEST_INVALID) {
            status = HttpServletResponse.SC_NOT_FOUND;
        }
        return page(request, response, status, message);
    }

    /** Token mode: the token server cannot say what a signed-in user may do, so the page cannot be shown. */
    @ExceptionHandler(TokenServerException.class)
    ModelAndView tokenServerFailed(TokenServerException e, HttpServletRequest request, HttpServletResponse response) {
        log.warn("UI page {}: {}", request.getRequestURI(), e.getMessage());
        return page(request, response, HttpServletResponse.SC_SERVICE_UNAVAILABLE, "The token server that signs you"
                + " in cannot be asked right now; try again shortly, or sign out to see what anyone may pull.");
    }

    @ExceptionHandler(Exception.class)
    ModelAndView failed(Exception e, HttpServletRequest request, HttpServletResponse response) {
        log.warn("UI page {} failed: {}", request.getRequestURI(), e.toString());
        return page(request, response, HttpServletResponse.SC_BAD_REQUEST, "This request cannot be served.");
    }

    private ModelAndView page(HttpServletRequest request, HttpServletResponse response, int status, String message) {
        response.setStatus(status);
        response.setContentType("text/html;charset=UTF-8");
        ModelAndView page = new ModelAndView("ui/error");
        page.addObject("viewer", sessions.viewer(request));
        page.addObject("status", status);
        page.addObject("message", message);
        return page;
    }
}
