package dev.berth.auth;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/** The user name and password of an HTTP Basic {@code Authorization} header, decoded but not checked. */
record HttpBasic(String user, String password) {

    /** The header's credentials, or null when it is not well-formed Basic credentials. */
    static HttpBasic parse(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Basic ", 0, 6)) {
            return null;
        }
        String decoded;
        try {
            decoded = new String(Base64.getDecoder().decode(authorization.substring(6).trim()), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return null;
        }
        int colon = decoded.indexOf(':');
        return colon > 0 ? new HttpBasic(decoded.substring(0, colon), decoded.substring(colon + 1)) : null;
    }

    /** The user the header claims to be, or null. */
    static String user(String authorization) {
        HttpBasic credentials = parse(authorization);
        return credentials == null ? null : credentials.user();
    }

    /** Never shows the password, whoever logs this. */
    @Override
    public String toString() {
        return "HttpBasic[user=" + user + "]";
    }
}
