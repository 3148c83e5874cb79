package dev.berth.auth;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Asks the token server ({@code berth.auth.token.realm}) for tokens as docker does: a password sign-in is
 * {@code GET realm?service=..&scope=..&offline_token=true&client_id=..} with Basic credentials (the form every
 * token server takes, answering a refresh token when it supports offline tokens); an access token for other
 * scopes is the OAuth2 refresh grant, {@code POST realm} with
 * {@code grant_type=refresh_token&refresh_token=..&service=..&scope=..&client_id=..}. Bounded: connecting and
 * the answer each wait at most {@code berth.auth.token.request-timeout}, and an answer is read up to
 * {@link #MAX_ANSWER} bytes. Redirects are not followed, so credentials go to the configured realm only.
 * Nothing here logs; exception messages never carry a credential or any part of an answer.
 */
final class TokenServerClient {

    /** Token answers are a few KiB (a JWT with its grants); anything larger is not a token answer. */
    static final int MAX_ANSWER = 64 * 1024;

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final HttpClient http;
    private final URI realm;
    private final String service;
    private final String clientId;
    private final Duration timeout;

    TokenServerClient(AuthProperties.Token settings) {
        this.realm = URI.create(settings.realm());
        this.service = settings.service();
        this.clientId = settings.clientId();
        this.timeout = settings.requestTimeout();
        this.http = HttpClient.newBuilder().connectTimeout(timeout).followRedirects(HttpClient.Redirect.NEVER).build();
    }

    /** What the token server answered: an access token, and a refresh token when it gave one. */
    record Grant(String accessToken, String refreshToken) {

        /** Never shows the tokens, whoever logs this. */
        @Override
        public String toString() {
            return "Grant[refreshToken=" + (refreshToken != null) + "]";
        }
    }

    /**
     * Signs {@code user} in for {@code scopes}, asking for a refresh token; null when the token server refuses
     * the user name or password (401 or 403).
     */
    Grant password(String user, String password, Collection<String> scopes) {
        StringBuilder query = new StringBuilder("service=").append(encode(service));
        for (String scope : scopes) {
            query.append("&scope=").append(encode(scope));
        }
        query.append("&offline_token=true&client_id=").append(encode(clientId));
        URI uri = URI.create(realm + (realm.getRawQuery() == null ? "?" : "&") + query);
        String basic = Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
        return send(HttpRequest.newBuilder(uri).timeout(timeout).header("Authorization", "Basic " + basic)
                .header("Accept", "application/json").GET().build(), "sign-in");
    }

    /** An access token for {@code scopes} in exchange for {@code refreshToken}; null when it is refused. */
    Grant refresh(String refreshToken, Collection<String> scopes) {
        String form = "grant_type=refresh_token&refresh_token=" + encode(refreshToken) + "&service=" + encode(service)
                + "&scope=" + encode(String.join(" ", scopes)) + "&client_id=" + encode(clientId);
        return send(HttpRequest.newBuilder(realm).timeout(timeout)
                .header("Content-Type", "application/x-www-form-urlencoded").header("Accept", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(form, StandardCharsets.UTF_8)).build(), "refresh");
    }

    private Grant send(HttpRequest request, String what) {
        HttpResponse<InputStream> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
        } catch (HttpTimeoutException e) {
            throw new TokenServerException("the token server " + where() + " did not answer the " + what
                    + " request within " + timeout.toMillis() + " ms");
        } catch (IOException e) {
            throw new TokenServerException("the token server " + where() + " cannot be reached (" + e.getClass()
                    .getSimpleName() + ")");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TokenServerException("interrupted while asking the token server " + where());
        }
        byte[] body;
        try (InputStream in = response.body()) {
            body = in.readNBytes(MAX_ANSWER + 1);
        } catch (IOException e) {
            throw new TokenServerException("the token server " + where() + " broke off its answer");
        }
        int status = response.statusCode();
        if (status == 401 || status == 403 || (status == 400 && what.equals("refresh"))) {
            return null; // a wrong password, or a refresh token revoked or expired (OAuth2 invalid_grant is 400)
        }
        if (status == 404 && what.equals("refresh")) {
            throw new TokenServerException("the token server " + where() + " does not take POST requests (404): it"
                    + " does not support the OAuth2 refresh grant the web UI needs for offline tokens");
        }
        if (status != 200) {
            throw new TokenServerException("the token server " + where() + " answered the " + what + " request with "
                    + status);
        }
        if (body.length > MAX_ANSWER) {
            throw new TokenServerException("the token server's answer is larger than " + MAX_ANSWER + " bytes");
        }
        JsonNode answer;
        try {
            answer = JSON.readTree(body);
        } catch (JacksonException e) {
            throw new TokenServerException("the token server's answer is not JSON"); // its text may hold a token
        }
        String access = text(answer, "token");
        if (access == null) {
            access = text(answer, "access_token");
        }
        if (access == null) {
            throw new TokenServerException("the token server's answer holds no token");
        }
        return new Grant(access, text(answer, "refresh_token"));
    }

    private static String text(JsonNode answer, String field) {
        JsonNode node = answer == null ? null : answer.get(field);
        return node != null && node.isString() && !node.asString().isEmpty() ? node.asString() : null;
    }

    /** The realm without its query, for messages. */
    private String where() {
        return realm.getScheme() + "://" + realm.getRawAuthority() + realm.getRawPath();
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    /** Scopes as the token server takes them: each resource once, its actions joined by commas, in a stable order. */
    static List<String> scopes(Collection<Access> accesses) {
        return accesses.stream().collect(Collectors.groupingBy(a -> a.type() + ":" + a.name(), TreeMap::new,
                Collectors.mapping(Access::action, Collectors.toCollection(TreeSet::new))))
                .entrySet().stream().map(e -> e.getKey() + ":" + String.join(",", e.getValue())).toList();
    }
}
