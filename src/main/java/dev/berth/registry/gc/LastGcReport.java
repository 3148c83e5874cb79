package dev.berth.registry.gc;

import dev.berth.registry.Documents;
import dev.berth.registry.StorePaths;
import dev.berth.storage.StorageDriver;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.ObjectReader;
import tools.jackson.databind.json.JsonMapper;

/**
 * The report of the cluster's last garbage collection run, {@code berth/gc/last-report.json}: written by the
 * replica that ran it (dry or not; a run skipped for another replica's lease writes nothing), read by any
 * replica. It is small: a report lists at most {@link GcReport#LISTED} repositories and pruned manifests.
 */
@Component
public class LastGcReport {

    private static final Logger log = LoggerFactory.getLogger(LastGcReport.class);

    private final StorageDriver store;
    private final Documents documents;
    private final JsonMapper json;
    /** Lenient: a report written by a newer Berth, with fields this one lacks, still reads. */
    private final ObjectReader reader;

    public LastGcReport(StorageDriver store, Documents documents, JsonMapper json) {
        this.store = store;
        this.documents = documents;
        this.json = json;
        this.reader = json.readerFor(GcReport.class).without(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .without(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);
    }

    /** The last run's report; empty before the first run, or when the stored one does not parse. */
    public Optional<GcReport> read() {
        Optional<Documents.Held> stored = documents.read(StorePaths.GC_LAST_REPORT, 2);
        if (stored.isEmpty()) {
            return Optional.empty();
        }
        try (Documents.Held held = stored.get()) {
            return Optional.of(reader.readValue(held.content()));
        } catch (JacksonException unreadable) {
            log.warn("garbage collection: {} does not parse, so there is no last report until the next run: {}",
                    StorePaths.GC_LAST_REPORT, unreadable.getOriginalMessage());
            return Optional.empty();
        }
    }

    /** Replaces the last report with {@code report}. */
    void write(GcReport report) {
        store.writeBytes(StorePaths.GC_LAST_REPORT, json.writeValueAsBytes(report));
    }
}
