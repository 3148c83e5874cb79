package dev.berth.registry;

import dev.berth.memory.BudgetExhaustedException;
import dev.berth.storage.ObjectNotFoundException;
import dev.berth.storage.StorageException;
import java.util.Map;
import java.util.Optional;

/**
 * Turns the failures of the layers below the registry into the registry's own errors, so that whoever answers
 * a request knows only {@link RegistryException}: data deleted while a request was served is gone, not
 * broken; a failing store is unavailable for a moment; a spent memory budget makes the registry busy.
 */
public final class FailureTranslator {

    /** Seconds a client waits before retrying when the store failed or the registry was busy. */
    private static final Map<String, String> RETRY_SHORTLY = Map.of("Retry-After", "1");

    private FailureTranslator() {
    }

    /** The registry error that reports {@code e}; empty for a failure the registry knows nothing of. */
    public static Optional<RegistryException> translate(Exception e) {
        if (e instanceof RegistryException registry) {
            return Optional.of(registry);
        }
        if (e instanceof ObjectNotFoundException gone) {
            // Deleted between a request's check and its read (a concurrent delete or purge).
            return Optional.of(new Translated(ErrorCode.BLOB_UNKNOWN,
                    "the requested data was deleted while the request was served", Map.of(), gone, false,
                    ": " + gone.getMessage()));
        }
        if (e instanceof StorageException store) {
            return Optional.of(new Translated(ErrorCode.UNAVAILABLE, ErrorCode.UNAVAILABLE.message(), RETRY_SHORTLY,
                    store, true, " failed in the store: " + store.getMessage()));
        }
        if (e instanceof BudgetExhaustedException busy) {
            return Optional.of(new Translated(ErrorCode.TOOMANYREQUESTS, "the registry is busy; retry shortly",
                    RETRY_SHORTLY, busy, true, " waited for memory in vain: " + busy.getMessage()));
        }
        return Optional.empty();
    }

    /** A failure of a layer below, as the registry reports it; the log tells what failed below. */
    private static final class Translated extends RegistryException {

        private final boolean registryFault;
        private final String logText;

        Translated(ErrorCode code, String message, Map<String, String> headers, Exception cause,
                boolean registryFault, String logText) {
            super(code, message, null, headers, cause);
            this.registryFault = registryFault;
            this.logText = logText;
        }

        @Override
        public boolean isRegistryFault() {
            return registryFault;
        }

        @Override
        public String logText() {
            return logText;
        }
    }
}
