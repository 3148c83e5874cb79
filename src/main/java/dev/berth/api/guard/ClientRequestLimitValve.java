package dev.berth.api.guard;

import jakarta.servlet.ServletException;
import java.io.IOException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.valves.ValveBase;
import org.apache.coyote.ActionCode;

/**
 * Bounds the requests one client address holds open at once on the registry port (including the time their
 * unread bodies are dealt with afterwards), so that one client, a slow one or one opening hundreds of
 * connections, cannot take every worker thread: beyond the bound it is answered {@code 429 TOOMANYREQUESTS}
 * with {@code Retry-After} at once and its connection closed. The address is the connection's, or the one
 * a trusted proxy forwarded ({@code server.forward-headers-strategy}, applied before this valve). The map
 * holds only clients with requests in flight, so it never outgrows the thread pool.
 */
public final class ClientRequestLimitValve extends ValveBase {

    private static final byte[] REFUSAL = ("{\"errors\":[{\"code\":\"TOOMANYREQUESTS\",\"message\":\"this client has too"
            + " many requests in progress; retry when one has finished\"}]}").getBytes(java.nio.charset.StandardCharsets.UTF_8);

    private final int limit;
    private final ConcurrentHashMap<String, AtomicInteger> inFlight = new ConcurrentHashMap<>();

    ClientRequestLimitValve(int limit) {
        super(true);
        this.limit = limit;
    }

    @Override
    public void invoke(Request request, Response response) throws IOException, ServletException {
        if (limit <= 0) {
            getNext().invoke(request, response);
            return;
        }
        String client = request.getRemoteAddr();
        if (!enter(client)) {
            refuse(request, response);
            return;
        }
        try {
            getNext().invoke(request, response);
        } finally {
            leave(client);
        }
    }

    private void refuse(Request request, Response response) throws IOException {
        response.setStatus(429);
        response.setHeader("Retry-After", "1");
        response.setHeader("Connection", "close");
        response.setHeader("Docker-Distribution-API-Version", "registry/2.0");
        response.setContentType("application/json");
        response.setContentLength(REFUSAL.length);
        if (!"HEAD".equals(request.getMethod())) {
            response.getOutputStream().write(REFUSAL);
        }
        response.flushBuffer();
        request.getCoyoteRequest().action(ActionCode.DISABLE_SWALLOW_INPUT, null);
    }

    private boolean enter(String client) {
        boolean[] admitted = new boolean[1];
        inFlight.compute(client, (key, count) -> {
            AtomicInteger current = count == null ? new AtomicInteger() : count;
            if (current.get() < limit) {
                current.incrementAndGet();
                admitted[0] = true;
            }
            return current.get() == 0 ? null : current;
        });
        return admitted[0];
    }

    private void leave(String client) {
        inFlight.computeIfPresent(client, (key, count) -> count.decrementAndGet() == 0 ? null : count);
    }
}
