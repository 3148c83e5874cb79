package dev.berth.ui;

import dev.berth.auth.RegistryAccess;
import dev.berth.auth.SignInCheck;
import jakarta.servlet.http.Cookie;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.Base64;
import java.util.Optional;
import org.springframework.http.HttpHeaders;
import org.springframework.http.ResponseCookie;
import org.springframework.stereotype.Component;

/**
 * Sign-ins without server state: the cookie carries the user and an expiry, signed with HMAC-SHA256
 * ({@link UiKeys}), so any replica with the same key accepts it; in {@code token} mode also the sign-in's
 * token, sealed (encrypted) with a key derived from the same key, as the signature's third part. A user
 * removed from the htpasswd file, or whose refresh token the token server no longer takes, is signed out at
 * their next request. Forms that change something carry a token signed over the cookie and the action
 * ({@link #formToken}), which another site cannot read, so it cannot forge the form.
 */
@Component
@UiEnabled
class UiSessions {

    static final String COOKIE = "berth_ui";
    static final String PATH = "/ui/";
    /** Browsers keep cookies up to 4096 bytes with name and attributes; a longer one is not Berth's. */
    static final int MAX_COOKIE = 3800;
    private static final String VIEWER_ATTRIBUTE = UiSessions.class.getName() + ".viewer";

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

    /**
     * Who the request comes from: the user its valid, unexpired cookie names, else an anonymous visitor. One
     * viewer per request, so what it looked up (token mode) serves the whole page.
     */
    Viewer viewer(HttpServletRequest request) {
        if (request.getAttribute(VIEWER_ATTRIBUTE) instanceof Viewer viewer) {
            return viewer;
        }
        SignedIn signedIn = signedIn(request);
        Viewer viewer = new Viewer(signedIn == null ? null : signedIn.user(),
                access.rights(signedIn == null ? null : signedIn.user(), signedIn == null ? null : signedIn.credential()),
                access.passwordSignIn());
        request.setAttribute(VIEWER_ATTRIBUTE, viewer);
        return viewer;
    }

    /** A cookie's user and the credential it carries (null in htpasswd mode). */
    private record SignedIn(String user, String credential) {

        @Override
        public String toString() {
            return "SignedIn[user=" + user + "]";
        }
    }

    private SignedIn signedIn(HttpServletRequest request) {
        String value = cookie(request);
        if (value == null || !access.passwordSignIn()) {
            return null;
        }
        String[] parts = value.split("\\.", -1);
        if (parts.length != 3 && parts.length != 4) {
            return null;
        }
        String signed = "session\n" + parts[0] + "\n" + parts[1];
        String sealed = parts.length == 4 ? parts[2] : null;
        if (!keys.verify(sealed == null ? signed : signed + "\n" + sealed, parts[parts.length - 1])) {
            return null;
        }
        try {
            long expires = Long.parseLong(parts[1]);
            String user = new String(Base64.getUrlDecoder().decode(parts[0]), StandardCharsets.UTF_8);
            if (expires <= clock.instant().getEpochSecond()) {
                return null;
            }
            String credential = sealed == null ? null : keys.open(sealed, signed);
            if (sealed != null && credential == null) {
                return null;
            }
            return new SignedIn(user, credential);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /**
     * Sets the cookie of a successful sign-in; false when it would be too long for a browser to keep (a token
     * server that gives no refresh token and a very large access token).
     */
    boolean signIn(HttpServletRequest request, HttpServletResponse response, SignInCheck check) {
        String name = Base64.getUrlEncoder().withoutPadding().encodeToString(check.user().getBytes(StandardCharsets.UTF_8));
        Instant end = clock.instant().plus(properties.sessionLifetime());
        if (check.expires() != null && check.expires().isBefore(end)) {
            end = check.expires();
        }
        long expires = end.getEpochSecond();
        String signed = "session\n" + name + "\n" + expires;
        String value;
        if (check.credential() == null) {
            value = name + "." + expires + "." + keys.sign(signed);
        } else {
            String sealed = keys.seal(check.credential(), signed);
            value = name + "." + expires + "." + sealed + "." + keys.sign(signed + "\n" + sealed);
        }
        if (value.length() > MAX_COOKIE) {
            return false;
        }
        setCookie(request, response, value, Math.max(1, expires - clock.instant().getEpochSecond()));
        return true;
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
