package dev.berth.ops;

import dev.berth.api.guard.RequestLimits;
import dev.berth.auth.AuthProperties;
import dev.berth.memory.MemoryBudget;
import dev.berth.registry.gc.GcProperties;
import dev.berth.registry.manifest.ManifestProperties;
import dev.berth.registry.proxy.ProxyRules;
import dev.berth.registry.upload.UploadProperties;
import dev.berth.storage.StorageProperties;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.core.env.Environment;
import org.springframework.stereotype.Component;

/**
 * Says in one line, once Berth serves, what it serves: its version, the store (backend and where, never a
 * key or connection string), the auth mode, the ports, the upload and memory limits and the garbage
 * collection schedule in force, and where the web UI answers. The line an operator looks for first when a replica behaves unlike the others.
 */
@Component
class StartupSummary {

    private static final Logger log = LoggerFactory.getLogger(StartupSummary.class);
    private static final Pattern ACCOUNT_NAME = Pattern.compile("(?i)(?:^|;)\\s*AccountName=([^;]+)");

    private final StorageProperties storage;
    private final AuthProperties auth;
    private final UploadProperties uploads;
    private final ManifestProperties manifests;
    private final RequestLimits limits;
    private final MemoryBudget memory;
    private final GcProperties gc;
    private final Environment environment;
    private final ProxyRules proxy;

    StartupSummary(StorageProperties storage, AuthProperties auth, UploadProperties uploads,
            ManifestProperties manifests, RequestLimits limits, MemoryBudget memory, GcProperties gc,
            Environment environment, ProxyRules proxy) {
        this.proxy = proxy;
        this.storage = storage;
        this.auth = auth;
        this.uploads = uploads;
        this.manifests = manifests;
        this.limits = limits;
        this.memory = memory;
        this.gc = gc;
        this.environment = environment;
    }

    @EventListener(ApplicationReadyEvent.class)
    void ready() {
        log.info(line());
    }

    String line() {
        String version = StartupSummary.class.getPackage().getImplementationVersion();
        UploadProperties.Purge purge = uploads.purge();
        return "Berth " + (version == null ? "(development build)" : version)
                + " serving the registry API on port " + environment.getProperty("local.server.port", "?")
                + " (Actuator on " + environment.getProperty("local.management.port",
                        environment.getProperty("management.server.port", "the same port")) + ")"
                + "; store: " + store()
                + "; auth: " + auth.mode().name().toLowerCase()
                + "; uploads: idle-timeout " + uploads.idleTimeout() + ", max-age " + uploads.maxAge()
                + ", at most " + uploads.maxOpenPerRepository() + " open per repository"
                + ", purge " + (purge.enabled() ? "every " + purge.interval() + (purge.dryRun() ? " (dry run)" : "")
                        : "off")
                + "; garbage collection " + (gc.enabled() ? "every " + gc.interval() + (gc.dryRun() ? " (dry run)" : "")
                        : "off (POST /actuator/garbagecollect runs one)") + pruning()
                + "; manifests up to " + size(manifests.maxSize().toBytes())
                + "; memory budget " + size(memory.total())
                + "; " + limits.requestsPerClient() + " requests in flight per client"
                + (proxy.enabled() ? "; pull-through cache " + String.join(", ", proxy.describe()) : "")
                + "; " + webUi();
    }

    /** Where the web UI answers (berth.ui.enabled), so an operator knows where to point a browser. */
    private String webUi() {
        return environment.getProperty("berth.ui.enabled", Boolean.class, true)
                ? "web UI at /ui/ on port " + environment.getProperty("local.server.port", "?")
                : "web UI off";
    }

    /** What a collection deletes besides blobs, when anything. */
    private String pruning() {
        List<String> what = new ArrayList<>();
        if (gc.deleteUntagged().enabled()) {
            what.add("untagged manifests after " + gc.deleteUntagged().age());
        }
        if (gc.deleteOrphanedReferrers()) {
            what.add("orphaned referrers");
        }
        if (!gc.retention().isEmpty()) {
            what.add(gc.retention().size() + " retention " + (gc.retention().size() == 1 ? "policy" : "policies"));
        }
        return what.isEmpty() ? "" : ", deleting " + String.join(", ", what);
    }

    private static String size(long bytes) {
        return bytes % (1L << 20) == 0 ? (bytes >> 20) + " MB" : bytes % 1024 == 0 ? (bytes >> 10) + " KB" : bytes + " B";
    }

    /** The {@code AccountName} of a connection string; the rest of it may be secret. */
    private static String connectionStringAccount(String connectionString) {
        Matcher account = ACCOUNT_NAME.matcher(connectionString == null ? "" : connectionString);
        return account.find() ? account.group(1) : "(from the connection string)";
    }

    /** Where the data lives; only names, never a secret. */
    private String store() {
        return switch (storage.backend()) {
            case FILESYSTEM -> "filesystem " + storage.filesystem().root().toAbsolutePath().normalize();
            case AZURE -> {
                StorageProperties.Azure azure = storage.azure();
                String account = azure.accountName() != null ? "account " + azure.accountName()
                        : azure.endpoint() != null ? "endpoint " + azure.endpoint()
                        : "account " + connectionStringAccount(azure.connectionString());
                yield "azure " + account + ", container " + azure.container()
                        + (azure.prefix() == null || azure.prefix().isBlank() ? "" : ", prefix " + azure.prefix());
            }
        };
    }
}
