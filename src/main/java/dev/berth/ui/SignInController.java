package dev.berth.ui;

import dev.berth.auth.AuthProperties;
import dev.berth.auth.RegistryAccess;
import dev.berth.auth.SignInCheck;
import dev.berth.auth.TokenServerException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;

/**
 * Signing in with a user name and password, checked and throttled exactly as {@code docker login} is: against
 * the htpasswd file, or in token mode by the token server; the password travels only in the POST body (and
 * from Berth to the token server in a Basic header), never in a URL.
 */
@Controller
@UiEnabled
class SignInController {

    static final int MAX_FIELD = 256;

    private static final Logger log = LoggerFactory.getLogger(SignInController.class);

    private final RegistryAccess access;
    private final UiSessions sessions;

    SignInController(RegistryAccess access, UiSessions sessions) {
        this.access = access;
        this.sessions = sessions;
    }

    @GetMapping("/ui/login")
    String form(HttpServletRequest request, Model model) {
        model.addAttribute("viewer", sessions.viewer(request));
        return "ui/login";
    }

    @PostMapping("/ui/login")
    String signIn(@RequestParam(required = false) String username, @RequestParam(required = false) String password,
            HttpServletRequest request, HttpServletResponse response, Model model) {
        model.addAttribute("viewer", sessions.viewer(request));
        if (!access.passwordSignIn()) {
            response.setStatus(HttpServletResponse.SC_NOT_FOUND);
            return "ui/login";
        }
        if (!UiSessions.fromThisSite(request)) {
            response.setStatus(HttpServletResponse.SC_FORBIDDEN);
            model.addAttribute("failure", "This form was sent from another site.");
            return "ui/login";
        }
        if (username == null || password == null || username.length() > MAX_FIELD || password.length() > MAX_FIELD) {
            response.setStatus(HttpServletResponse.SC_BAD_REQUEST);
            model.addAttribute("failure", "Enter a user name and password.");
            return "ui/login";
        }
        SignInCheck check;
        try {
            check = access.signIn(request.getRemoteAddr(), username, password);
        } catch (TokenServerException e) {
            log.warn("UI sign-in: {}", e.getMessage());
            response.setStatus(HttpServletResponse.SC_SERVICE_UNAVAILABLE);
            model.addAttribute("failure", "The token server cannot be asked right now; try again shortly.");
            return "ui/login";
        }
        if (check.retryAfter() != null) {
            long seconds = Math.max(1, (check.retryAfter().toMillis() + 999) / 1000);
            response.setStatus(429);
            response.setHeader("Retry-After", Long.toString(seconds));
            model.addAttribute("failure", "Too many wrong passwords from this address; try again in " + seconds + " s.");
            return "ui/login";
        }
        if (!check.succeeded()) {
            response.setStatus(HttpServletResponse.SC_UNAUTHORIZED);
            model.addAttribute("failure", access.mode() == AuthProperties.Mode.TOKEN ? "Wrong user name or password."
                    : "Unknown user or wrong password.");
            return "ui/login";
        }
        if (!sessions.signIn(request, response, check)) {
            response.setStatus(HttpServletResponse.SC_SERVICE_UNAVAILABLE);
            model.addAttribute("failure", "The token server's token is too large to keep in a browser cookie; ask"
                    + " the registry's operators to enable refresh (offline) tokens at the token server.");
            return "ui/login";
        }
        return "redirect:/ui/";
    }

    @PostMapping("/ui/logout")
    String signOut(HttpServletRequest request, HttpServletResponse response) {
        sessions.signOut(request, response);
        return "redirect:/ui/";
    }
}
