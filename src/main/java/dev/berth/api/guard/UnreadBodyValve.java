package dev.berth.api.guard;

import jakarta.servlet.ServletException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.valves.ValveBase;
import org.apache.coyote.ActionCode;
import org.apache.tomcat.util.net.ApplicationBufferHandler;

/**
 * Deals with a request body left unread when the answer came first (a refusal, an out-of-order chunk): the
 * rest is read and discarded, held to the body rate and up to {@link RequestLimits#maxUnreadBody()}, so that
 * a well-behaved client keeps its connection. A body larger than that, one too slow, or one Berth gave up on
 * already is not waited for: the connection is closed instead. Tomcat's own draining has no time limit, so
 * a body trickling in a byte at a time would otherwise keep a worker thread long after the answer.
 */
public final class UnreadBodyValve extends ValveBase {

    /** Request attribute asking for the connection to be closed rather than the body drained. */
    static final String CLOSE_CONNECTION = UnreadBodyValve.class.getName() + ".close";

    private final RequestLimits limits;

    UnreadBodyValve(RequestLimits limits) {
        super(true);
        this.limits = limits;
    }

    @Override
    public void invoke(Request request, Response response) throws IOException, ServletException {
        getNext().invoke(request, response);
        if (request.isAsync() || fullyRead(request)) {
            return;
        }
        if (request.getAttribute(CLOSE_CONNECTION) == null && !request.getCoyoteRequest().hasExpectation()
                && drained(request, response)) {
            return;
        }
        close(request, response);
    }

    private static boolean fullyRead(Request request) {
        AtomicBoolean fullyRead = new AtomicBoolean(true);
        request.getCoyoteRequest().action(ActionCode.REQUEST_BODY_FULLY_READ, fullyRead);
        return fullyRead.get();
    }

    /** Reads the rest of the body and throws it away; false when it is too large or too slow for that. */
    private boolean drained(Request request, Response response) {
        try {
            response.flushBuffer(); // the client has its answer while the rest of its body is dealt with
            BodyRate rate = new BodyRate(limits.slowBody());
            Discard discard = new Discard();
            long left = limits.maxUnreadBody().toBytes();
            while (true) {
                long start = System.nanoTime();
                int n = request.getCoyoteRequest().doRead(discard);
                if (n < 0) {
                    return true;
                }
                left -= n;
                if (left < 0 || !rate.record(System.nanoTime() - start, n)) {
                    return false;
                }
            }
        } catch (IOException e) {
            return false;
        }
    }

    /** Sends what is left of the answer, then gives up the body: Tomcat closes the connection. */
    private static void close(Request request, Response response) throws IOException {
        if (!response.isCommitted()) {
            response.setHeader("Connection", "close");
            // Sent now: once input is given up, Tomcat would turn a status below 400 into a 500.
            response.flushBuffer();
        }
        request.getCoyoteRequest().action(ActionCode.DISABLE_SWALLOW_INPUT, null);
    }

    /** Takes Tomcat's view of each chunk of body and ignores it. */
    private static final class Discard implements ApplicationBufferHandler {
        private ByteBuffer buffer = ApplicationBufferHandler.EMPTY_BUFFER;

        @Override
        public void setByteBuffer(ByteBuffer buffer) {
            this.buffer = buffer;
        }

        @Override
        public ByteBuffer getByteBuffer() {
            return buffer;
        }

        @Override
        public void expand(int size) {
            // Tomcat's own buffer is used; nothing of this handler's needs to grow.
        }
    }
}
