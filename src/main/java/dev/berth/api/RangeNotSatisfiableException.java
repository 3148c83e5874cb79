package dev.berth.api;

import dev.berth.registry.ErrorCode;
import dev.berth.registry.RegistryException;

/** A blob read asked for bytes the blob does not have; the answer tells its size. */
class RangeNotSatisfiableException extends RegistryException {

    private final long size;

    RangeNotSatisfiableException(long size) {
        super(ErrorCode.RANGE_INVALID, "the requested range lies outside the blob's " + size + " bytes");
        this.size = size;
    }

    long size() {
        return size;
    }
}
