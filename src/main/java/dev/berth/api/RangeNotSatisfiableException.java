package dev.berth.api;

import dev.berth.registry.ErrorCode;
import dev.berth.registry.RegistryException;
import java.util.Map;

/** A blob read asked for bytes the blob does not have; the answer tells its size ({@code Content-Range}). */
class RangeNotSatisfiableException extends RegistryException {

    RangeNotSatisfiableException(long size) {
        super(ErrorCode.RANGE_INVALID, "the requested range lies outside the blob's " + size + " bytes", null,
                Map.of("Content-Range", "bytes */" + size), null);
    }
}
