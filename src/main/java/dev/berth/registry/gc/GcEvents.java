package dev.berth.registry.gc;

/** What garbage collection runs did, for whoever observes them (metrics). An observer must not fail or block. */
public interface GcEvents {

    GcEvents NONE = new GcEvents() {
    };

    /** A run that ran (dry or not) or was skipped because another replica held the lease. */
    default void finished(GcReport report) {
    }

    /** A run that broke off (the store failed, or the lease was lost); what it left, the next run finishes. */
    default void failed() {
    }
}
