package dev.berth.registry.events;

import dev.berth.registry.Digest;
import dev.berth.registry.RepositoryName;
import dev.berth.registry.StoreLease;
import dev.berth.storage.StorageDriver;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Service;
import tools.jackson.databind.json.JsonMapper;

/**
 * Notifications of what was pushed, pulled and deleted (docs/notifications.md). Whoever served a request tells
 * what happened, with the request's facts, before it answers; each endpoint that wants the event gets it
 * written to its outbox in the store, so the event outlives this replica, and this replica sends it right away
 * ({@link DeliveryLane}). What a replica could not send, any replica's {@link OutboxSweeper} sends later.
 * Deliveries are at least once: an event may arrive twice, always with the same id.
 */
@Service
public class RegistryNotifications implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(RegistryNotifications.class);

    private final List<ConfiguredEndpoint> endpoints;
    private final Outbox outbox;
    private final JsonMapper json;
    private final Clock clock;
    private final RegistryEvent.Source source;
    private final Map<String, DeliveryLane> lanes;
    private final OutboxSweeper sweeper;
    private final ExecutorService httpThreads;
    private volatile boolean running;

    public RegistryNotifications(StorageDriver store, JsonMapper json, NotificationProperties properties,
            Optional<NotificationObserver> observer, Optional<Clock> clock) {
        List<ConfiguredEndpoint> configured = new ArrayList<>();
        for (int i = 0; i < properties.endpoints().size(); i++) {
            configured.add(ConfiguredEndpoint.of(properties.endpoints().get(i), i, json,
                    properties.cloudeventsSource()));
        }
        this.endpoints = List.copyOf(configured);
        this.clock = clock.orElse(Clock.systemUTC());
        this.json = json;
        this.outbox = new Outbox(store, this.clock);
        this.source = new RegistryEvent.Source(hostName(), UUID.randomUUID().toString());
        // The HTTP client's own work (connections, TLS) on two threads, whatever the number of endpoints.
        this.httpThreads = Executors.newFixedThreadPool(2, runnable -> {
            Thread thread = new Thread(runnable, "berth-notify-http");
            thread.setDaemon(true);
            return thread;
        });
        HttpClient http = HttpClient.newBuilder().executor(httpThreads).connectTimeout(Duration.ofSeconds(5))
                .followRedirects(HttpClient.Redirect.NEVER).build();
        NotificationObserver observing = observer.orElse(NotificationObserver.NONE);
        Delivery delivery = new Delivery(http, outbox, observing, this.clock);
        this.lanes = endpoints.stream().collect(Collectors.toUnmodifiableMap(ConfiguredEndpoint::name,
                endpoint -> new DeliveryLane(endpoint, delivery, outbox, properties.queueSize())));
        String owner = source.addr() + "/" + source.instanceID();
        Function<String, StoreLease> leases = name -> new StoreLease(store, Outbox.sweepLock(name), json, this.clock,
                owner);
        this.sweeper = new OutboxSweeper(outbox, delivery, properties, leases, observing, this.clock);
    }

    /** The endpoints as configured, for metrics and the start-up log. */
    public List<String> endpointNames() {
        return endpoints.stream().map(ConfiguredEndpoint::name).toList();
    }

    public void manifestPushed(RepositoryName repository, String tag, Digest digest, String mediaType, long size,
            RequestFacts request) {
        emit(EventAction.PUSH, repository, manifestTarget(repository, tag, digest, mediaType, size, request), request);
    }

    /** Costs a store write only when an endpoint wants pulls of {@code repository}. */
    public void manifestPulled(RepositoryName repository, String tag, Digest digest, String mediaType, long size,
            RequestFacts request) {
        emit(EventAction.PULL, repository, manifestTarget(repository, tag, digest, mediaType, size, request), request);
    }

    public void manifestDeleted(RepositoryName repository, Digest digest, RequestFacts request) {
        emit(EventAction.DELETE, repository, new RegistryEvent.Target(null, null, digest.toString(), null,
                repository.value(), null, null, null), request);
    }

    public void tagDeleted(RepositoryName repository, String tag, RequestFacts request) {
        emit(EventAction.DELETE, repository, new RegistryEvent.Target(null, null, null, null, repository.value(), null,
                null, tag), request);
    }

    public void blobDeleted(RepositoryName repository, Digest digest, RequestFacts request) {
        emit(EventAction.DELETE, repository, new RegistryEvent.Target(null, null, digest.toString(), null,
                repository.value(), null, null, null), request);
    }

    public void blobMounted(RepositoryName repository, RepositoryName from, Digest digest, long size,
            RequestFacts request) {
        emit(EventAction.MOUNT, repository, new RegistryEvent.Target("application/octet-stream", size,
                digest.toString(), size, repository.value(), from.value(),
                url(request, repository, "blobs", digest), null), request);
    }

    /**
     * Writes the event to the outbox of every endpoint that wants it, then queues it for sending. Returns once
     * it is in the store: a store failure reaches the caller, who answers 503, and the client's retry emits the
     * event again.
     */
    private void emit(EventAction action, RepositoryName repository, RegistryEvent.Target target,
            RequestFacts request) {
        List<ConfiguredEndpoint> wanting = new ArrayList<>(1);
        for (ConfiguredEndpoint endpoint : endpoints) {
            if (endpoint.wants(action, repository)) {
                wanting.add(endpoint);
            }
        }
        if (wanting.isEmpty()) {
            return;
        }
        Instant time = outbox.nextTime();
        String id = UUID.randomUUID().toString();
        RegistryEvent event = new RegistryEvent(id, time.toString(), action, target,
                new RegistryEvent.Request(request.id(), request.addr(), request.host(), request.method(),
                        request.userAgent()),
                request.actor() == null ? null : new RegistryEvent.Actor(request.actor()), source);
        byte[] content = json.writeValueAsBytes(event);
        for (ConfiguredEndpoint endpoint : wanting) {
            Outbox.Entry entry = outbox.write(endpoint.name(), time, id, content);
            if (running) {
                lanes.get(endpoint.name()).offer(entry);
            }
        }
    }

    /** One sweep of every endpoint's outbox ({@link OutboxSweeper}); returns the events delivered. */
    public int sweep() {
        return sweeper.sweep(endpoints);
    }

    private static RegistryEvent.Target manifestTarget(RepositoryName repository, String tag, Digest digest,
            String mediaType, long size, RequestFacts request) {
        return new RegistryEvent.Target(mediaType, size, digest.toString(), size, repository.value(), null,
                url(request, repository, "manifests", digest), tag);
    }

    private static String url(RequestFacts request, RepositoryName repository, String kind, Digest digest) {
        return request.baseUrl() == null ? null
                : request.baseUrl() + "/v2/" + repository.value() + "/" + kind + "/" + digest;
    }

    /** The pod's name in Kubernetes ({@code HOSTNAME}), else the machine's. */
    private static String hostName() {
        String hostname = System.getenv("HOSTNAME");
        if (hostname != null && !hostname.isBlank()) {
            return hostname;
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "unknown";
        }
    }

    @Override
    public synchronized void start() {
        if (!endpoints.isEmpty()) {
            log.info("notifications go to {} (header values not shown); pulls {}", endpoints,
                    endpoints.stream().anyMatch(e -> e.settings().actions().contains(EventAction.PULL))
                            ? "cost a store write each" : "are not sent");
        }
        lanes.values().forEach(DeliveryLane::start);
        running = true;
    }

    @Override
    public synchronized void stop() {
        running = false;
        lanes.values().forEach(DeliveryLane::stop);
        httpThreads.shutdownNow();
    }

    @Override
    public boolean isRunning() {
        return running;
    }
}
