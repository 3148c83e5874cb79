package dev.berth.ui;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.servlet.http.HttpServletRequest;
import java.time.Instant;
import java.util.Optional;
import org.springframework.core.env.Environment;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;

/**
 * What this replica runs on and what its background work last did, from what it already knows in memory
 * (its settings and its metrics), so it answers even when the store does not. The purge is this replica's
 * last run; the garbage collection is the cluster's, as its gauge reads the stored last report (at most one
 * store read a minute, shared with the metrics scrape).
 */
@Controller
@UiEnabled
class OperationsController {

    private final Environment environment;
    private final Optional<MeterRegistry> meters;
    private final UiSessions sessions;

    OperationsController(Environment environment, Optional<MeterRegistry> meters, UiSessions sessions) {
        this.environment = environment;
        this.meters = meters;
        this.sessions = sessions;
    }

    @GetMapping("/ui/operations")
    String operations(HttpServletRequest request, Model model) {
        String version = OperationsController.class.getPackage().getImplementationVersion();
        model.addAttribute("viewer", sessions.viewer(request));
        model.addAttribute("version", version == null ? "development build" : version);
        model.addAttribute("backend", environment.getProperty("berth.storage.backend", "filesystem"));
        model.addAttribute("authMode", environment.getProperty("berth.auth.mode", "none"));
        model.addAttribute("uploadsActive", gauge("berth.uploads.requests.active").map(v -> Long.toString(v.longValue()))
                .orElse("not measured"));
        model.addAttribute("lastPurge", lastRun("berth.purge.last.run", "not yet (on this replica)"));
        model.addAttribute("purgeEnabled", environment.getProperty("berth.uploads.purge.enabled", "true"));
        model.addAttribute("lastGc", lastRun("berth.gc.last.run", "not yet"));
        model.addAttribute("gcEnabled", environment.getProperty("berth.gc.enabled", "false"));
        return "ui/operations";
    }

    private String lastRun(String gauge, String never) {
        return gauge(gauge).filter(seconds -> seconds > 0)
                .map(seconds -> Instant.ofEpochSecond(seconds.longValue()).toString())
                .orElse(never);
    }

    private Optional<Double> gauge(String name) {
        return meters.map(registry -> registry.find(name).gauge()).map(Gauge::value);
    }
}
