package dev.berth.api.guard;

import dev.berth.api.OciErrorHandler;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;

/**
 * A request body held to a {@link BodyRate}: when it falls below it, the read fails with
 * {@link BodyTooSlowException} and the request is marked so that its answer is a 408 and its connection is
 * closed.
 */
final class RateGuardedInputStream extends ServletInputStream {

    private final HttpServletRequest request;
    private final ServletInputStream body;
    private final BodyRate rate;

    RateGuardedInputStream(HttpServletRequest request, ServletInputStream body, BodyRate rate) {
        this.request = request;
        this.body = body;
        this.rate = rate;
    }

    @Override
    public int read() throws IOException {
        long start = System.nanoTime();
        int b = body.read();
        check(start, b < 0 ? 0 : 1);
        return b;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
        long start = System.nanoTime();
        int n = body.read(buffer, offset, length);
        check(start, n);
        return n;
    }

    private void check(long start, int bytes) throws IOException {
        if (!rate.record(System.nanoTime() - start, bytes)) {
            request.setAttribute(OciErrorHandler.BODY_TOO_SLOW, Boolean.TRUE);
            request.setAttribute(UnreadBodyValve.CLOSE_CONNECTION, Boolean.TRUE);
            throw new BodyTooSlowException(rate.describe());
        }
    }

    @Override
    public boolean isFinished() {
        return body.isFinished();
    }

    @Override
    public boolean isReady() {
        return body.isReady();
    }

    @Override
    public void setReadListener(ReadListener listener) {
        body.setReadListener(listener);
    }

    @Override
    public int available() throws IOException {
        return body.available();
    }

    @Override
    public void close() throws IOException {
        body.close();
    }

    /** The client sent its body too slowly; the request is given up. */
    static final class BodyTooSlowException extends IOException {
        BodyTooSlowException(String message) {
            super(message);
        }
    }
}
