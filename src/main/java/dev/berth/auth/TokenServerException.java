package dev.berth.auth;

/**
 * The token server could not be asked, or gave an answer Berth cannot use (unreachable, timed out, a 5xx, no
 * token, a token that fails verification). The message says which for the operator and never holds a
 * credential or a token.
 */
public class TokenServerException extends RuntimeException {

    TokenServerException(String message) {
        super(message);
    }

    TokenServerException(String message, Throwable cause) {
        super(message, cause);
    }
}
