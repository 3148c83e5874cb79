package dev.berth.ui;

import dev.berth.auth.RegistryAccess;
import jakarta.servlet.http.Cookie;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Base64;
import java.util.Optional;
import org.springframework.http.HttpHeaders;
import org.springframework.http.ResponseCookie;
import org.springframework.stereotype.Component;

/**
 * Sign-ins without server state: the cookie carries the user and an expiry, signed with HMAC-SHA256
 * ({@link UiKeys}), so any replica with the same key accepts it. A user removed from the htpasswd file is
 * signed out at their next request. Forms that change something carry a token signed over the cookie and the
 * action ({@link #formToken}), which another site cannot read, so it cannot forge the form.
 */
@Component
@UiEnabled
class UiSessions {

    static final String COOKIE = "berth_ui";
    static final String PATH = "/ui/";
    private static final int MAX_COOKIE = 1024;

    private final UiKeys keys;
    private final RegistryAccess access;
    private final UiProperties properties;
    private final Clock clock;

    UiSessions(UiKeys keys, RegistryAccess access, UiProperties properties, Optional<Clock> clock) {
        this.keys = keys;
        this.access = access;
        this.properties = properties;
        this.clock = clock.orElse(Clock.systemUTC());
    }

    /** Who the request comes from: the user its valid, unexpired cookie names, else an anonymous visitor. */
    Viewer viewer(HttpServletRequest request) {
        return new Viewer(signedInUser(request), access);
    }

    private String signedInUser(HttpServletRequest request) {
        String value = cookie(request);
        if (value == null || !access.passwordSignIn()) {
            return null;
        }
        String[] parts = value.split("\\.", -1);
        if (parts.length != 3 || !keys.verify("session\n" + parts[0] + "\n" + parts[1], parts[2])) {
            return null;
        }
        try {
            long expires = Long.parseLong(parts[1]);
            String user = new String(Base64.getUrlDecoder().decode(parts[0]), StandardCharsets.UTF_8);
            if (expires <= clock.instant().getEpochSecond() || !access.stillKnown(user)) {
                return null;
            }
            return user;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    void signIn(HttpServletRequest request, HttpServletResponse response, String user) {
        String name = Base64.getUrlEncoder().withoutPadding().encodeToString(user.getBytes(StandardCharsets.UTF_8));
        long expires = clock.instant().plus(properties.sessionLifetime()).getEpochSecond();
        String payload = name + "." + expires;
        String value = payload + "." + keys.sign("session\n" + name + "\n" + expires);
        setCookie(request, response, value, properties.sessionLifetime().toSeconds());
    }

    void signOut(HttpServletRequest request, HttpServletResponse response) {
        setCookie(request, response, "", 0);
    }

    /** The hidden token a form doing {@code action} carries: good only with this viewer's cookie. */
    String formToken(HttpServletRequest request, String action) {
        String value = cookie(request);
        return keys.sign("form\n" + (value == null ? "" : value) + "\n" + action);
    }

    /**
     * Whether a posted form is the one this site served to this viewer: its token matches, and the browser
     * does not say the request comes from another site.
     */
    boolean formIsGenuine(HttpServletRequest request, String action, String token) {
        if (!fromThisSite(request)) {
            return false;
        }
        String value = cookie(request);
        return keys.verify("form\n" + (value == null ? "" : value) + "\n" + action, token);
    }

    /** False when the browser says the request was made by a page of another site. */
    static boolean fromThisSite(HttpServletRequest request) {
        String site = request.getHeader("Sec-Fetch-Site");
        return site == null || site.equals("same-origin") || site.equals("none");
    }

    private static String cookie(HttpServletRequest request) {
        Cookie[] cookies = request.getCookies();
        if (cookies == null) {
            return null;
        }
        for (Cookie cookie : cookies) {
            if (cookie.getName().equals(COOKIE) && cookie.getValue() != null && !cookie.getValue().isEmpty()
                    && cookie.getValue().length() <= MAX_COOKIE) {
                return cookie.getValue();
            }
        }
        return null;
    }

    private static void setCookie(HttpServletRequest request, HttpServletResponse response, String value,
            long maxAgeSeconds) {
        ResponseCookie cookie = ResponseCookie.from(COOKIE, value).path(PATH).httpOnly(true).sameSite("Lax")
                .secure(request.isSecure()).maxAge(maxAgeSeconds).build();
        response.addHeader(HttpHeaders.SET_COOKIE, cookie.toString());
    }
}
