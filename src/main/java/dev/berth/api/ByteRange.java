package dev.berth.api;

/** One byte range of a blob read ({@code Range: bytes=...}), resolved against the blob's size. */
record ByteRange(long start, long end) {

    long length() {
        return end - start + 1;
    }

    /**
     * The single range the header asks for, or null to serve the whole blob (no header, or a form Berth
     * answers in full as HTTP allows: several ranges, another unit). Throws when the range lies beyond it.
     */
    static ByteRange parse(String header, long size) {
        if (header == null || !header.startsWith("bytes=") || header.contains(",")) {
            return null;
        }
        String spec = header.substring("bytes=".length()).trim();
        int dash = spec.indexOf('-');
        if (dash < 0) {
            return null;
        }
        try {
            String first = spec.substring(0, dash).trim();
            String last = spec.substring(dash + 1).trim();
            if (first.isEmpty()) {
                long suffix = Long.parseLong(last);
                if (suffix <= 0 || size == 0) {
                    throw new RangeNotSatisfiableException(size);
                }
                return new ByteRange(Math.max(0, size - suffix), size - 1);
            }
            long start = Long.parseLong(first);
            long end = last.isEmpty() ? size - 1 : Math.min(Long.parseLong(last), size - 1);
            if (start >= size || end < start) {
                throw new RangeNotSatisfiableException(size);
            }
            return new ByteRange(start, end);
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
