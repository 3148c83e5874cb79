package dev.berth.registry.events;

/**
 * How an event, as stored in the outbox (Distribution's event object), is put on the wire for one endpoint.
 * The outbox always holds Distribution's event, so events written before an endpoint's format changed, or by a
 * replica of an older version, are sent in the format the endpoint has now.
 */
interface EventEncoding {

    /** The request's {@code Content-Type}. */
    String mediaType();

    /** The request body carrying {@code event}, one event as stored. */
    byte[] body(byte[] event);
}
