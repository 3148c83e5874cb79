package dev.berth.registry.events;

import java.nio.charset.StandardCharsets;

/** Distribution's envelope: {@code {"events":[<the event>]}}, the stored event copied in unchanged. */
final class DistributionEnvelope implements EventEncoding {

    static final String MEDIA_TYPE = "application/vnd.docker.distribution.events.v1+json";
    private static final byte[] START = "{\"events\":[".getBytes(StandardCharsets.UTF_8);
    private static final byte[] END = "]}".getBytes(StandardCharsets.UTF_8);

    @Override
    public String mediaType() {
        return MEDIA_TYPE;
    }

    @Override
    public byte[] body(byte[] event) {
        byte[] body = new byte[START.length + event.length + END.length];
        System.arraycopy(START, 0, body, 0, START.length);
        System.arraycopy(event, 0, body, START.length, event.length);
        System.arraycopy(END, 0, body, START.length + event.length, END.length);
        return body;
    }
}
