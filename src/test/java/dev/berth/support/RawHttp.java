package dev.berth.support;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;

/** HTTP requests written byte by byte on a socket, for requests no HTTP client would send as written. */
public final class RawHttp {

    private RawHttp() {
    }

    /** The status (-1 when there was none), head and whole raw bytes of an answer. */
    public record Response(int status, String head, byte[] raw) {

        /** The body as text (everything after the head). */
        public String body() {
            String text = new String(raw, StandardCharsets.ISO_8859_1);
            int end = text.indexOf("\r\n\r\n");
            return end < 0 ? "" : text.substring(end + 4);
        }

        public String header(String name) {
            for (String line : head.split("\r\n")) {
                int colon = line.indexOf(':');
                if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase(name)) {
                    return line.substring(colon + 1).trim();
                }
            }
            return null;
        }
    }

    /**
     * Sends the request line and headers as written ({@code Host} and {@code Connection: close} are added),
     * then {@code body}; with {@code halfClose} the sending side is shut after the body, so a server waiting
     * for more sees the end of the stream at once. Reads until the server closes.
     */
    public static Response send(int port, String requestLineAndHeaders, byte[] body, boolean halfClose) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            socket.setSoTimeout(15000);
            OutputStream out = socket.getOutputStream();
            StringBuilder head = new StringBuilder(requestLineAndHeaders);
            if (!requestLineAndHeaders.endsWith("\r\n")) {
                head.append("\r\n");
            }
            head.append("Host: 127.0.0.1:").append(port).append("\r\n");
            head.append("Connection: close\r\n\r\n");
            out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
            if (body != null) {
                out.write(body);
            }
            out.flush();
            if (halfClose) {
                socket.shutdownOutput();
            }
            byte[] response = readAll(socket.getInputStream());
            String text = new String(response, StandardCharsets.ISO_8859_1);
            int end = text.indexOf("\r\n\r\n");
            String responseHead = end < 0 ? text : text.substring(0, end);
            int status = -1;
            if (responseHead.startsWith("HTTP/1.1 ") && responseHead.length() >= 12) {
                status = Integer.parseInt(responseHead.substring(9, 12));
            }
            return new Response(status, responseHead, response);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code METHOD target HTTP/1.1} with optional extra header lines, and a Content-Length for {@code body}. */
    public static Response send(int port, String method, String target, String headers, byte[] body) {
        StringBuilder head = new StringBuilder(method + " " + target + " HTTP/1.1\r\n");
        if (headers != null && !headers.isEmpty()) {
            head.append(headers.endsWith("\r\n") ? headers : headers + "\r\n");
        }
        if (body != null) {
            head.append("Content-Length: ").append(body.length).append("\r\n");
        }
        return send(port, head.toString(), body, false);
    }

    /** How much of a body the server took before it stopped reading, and what it answered. */
    public record Flood(long accepted, boolean closedByServer, String answer) {
    }

    /** One chunk of a chunked body, to repeat: {@code size} bytes of data with the chunk's framing. */
    public static byte[] chunk(int size) {
        byte[] framing = (Integer.toHexString(size) + "\r\n").getBytes(StandardCharsets.US_ASCII);
        byte[] chunk = new byte[framing.length + size + 2];
        System.arraycopy(framing, 0, chunk, 0, framing.length);
        java.util.Arrays.fill(chunk, framing.length, framing.length + size, (byte) 'x');
        chunk[chunk.length - 2] = '\r';
        chunk[chunk.length - 1] = '\n';
        return chunk;
    }

    /**
     * Sends the request head, then {@code unit} over and over as fast as the server takes it, up to {@code max}
     * bytes, and stops when the server has taken nothing for {@code idle} or has closed the connection. The
     * bytes counted as accepted include what sits in the two machines' socket buffers.
     */
    public static Flood flood(int port, String requestLineAndHeaders, byte[] unit, long max, java.time.Duration idle) {
        try (java.nio.channels.SocketChannel channel = java.nio.channels.SocketChannel.open(
                new InetSocketAddress("127.0.0.1", port))) {
            String head = requestLineAndHeaders + (requestLineAndHeaders.endsWith("\r\n") ? "" : "\r\n")
                    + "Host: 127.0.0.1:" + port + "\r\n\r\n";
            channel.write(java.nio.ByteBuffer.wrap(head.getBytes(StandardCharsets.ISO_8859_1)));
            channel.configureBlocking(false);
            java.nio.ByteBuffer chunk = java.nio.ByteBuffer.wrap(unit);
            java.nio.ByteBuffer read = java.nio.ByteBuffer.allocate(8192);
            StringBuilder answer = new StringBuilder();
            long accepted = 0;
            long lastProgress = System.nanoTime();
            boolean closed = false;
            while (accepted < max && System.nanoTime() - lastProgress < idle.toNanos()) {
                int n;
                try {
                    if (!chunk.hasRemaining()) {
                        chunk.rewind();
                    }
                    n = channel.write(chunk);
                } catch (IOException reset) {
                    closed = true;
                    break;
                }
                if (n > 0) {
                    accepted += n;
                    lastProgress = System.nanoTime();
                } else {
                    Thread.sleep(5);
                }
                read.clear();
                int r;
                try {
                    r = channel.read(read);
                } catch (IOException reset) {
                    closed = true;
                    break;
                }
                if (r > 0) {
                    answer.append(new String(read.array(), 0, r, StandardCharsets.ISO_8859_1));
                } else if (r < 0) {
                    closed = true;
                    break;
                }
            }
            return new Flood(accepted, closed, answer.toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static byte[] readAll(InputStream in) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        byte[] buffer = new byte[8192];
        try {
            int n;
            while ((n = in.read(buffer)) >= 0) {
                bytes.write(buffer, 0, n);
            }
        } catch (SocketException e) {
            // A reset after the server answered and closed: keep what arrived.
            if (bytes.size() == 0) {
                throw e;
            }
        }
        return bytes.toByteArray();
    }
}
