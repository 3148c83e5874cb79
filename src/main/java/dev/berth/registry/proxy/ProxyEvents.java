package dev.berth.registry.proxy;

import java.time.Duration;

/** What the pull-through cache reports as it serves, for metrics (implemented in {@code dev.berth.ops}). */
public interface ProxyEvents {

    /** What a request asked for: a manifest or a blob. */
    enum Kind {
        MANIFEST, BLOB
    }

    /** Served from the store without fetching content (a tag checked and unchanged counts too). */
    void hit(Kind kind);

    /** Content fetched from the upstream. */
    void miss(Kind kind);

    /** Bytes of manifests and blobs received from the upstream. */
    void upstreamBytes(long bytes);

    /** One request to the upstream (token requests included); status 0 when no answer came. */
    void upstreamRequest(int status, Duration duration);

    /** A request the upstream failed: its status, 0 when it could not be reached. */
    void upstreamError(int status);

    /** A cached tag served although its check against the upstream failed. */
    void staleServed();

    /** A request that found another replica fetching its blob, and waited for it instead of fetching too. */
    void sharedFetchWaited();

    ProxyEvents NONE = new ProxyEvents() {
        @Override
        public void hit(Kind kind) {
        }

        @Override
        public void miss(Kind kind) {
        }

        @Override
        public void upstreamBytes(long bytes) {
        }

        @Override
        public void upstreamRequest(int status, Duration duration) {
        }

        @Override
        public void upstreamError(int status) {
        }

        @Override
        public void staleServed() {
        }

        @Override
        public void sharedFetchWaited() {
        }
    };
}
