package dev.berth.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.support.EventReceiver;
import dev.berth.support.Http;
import dev.berth.support.RandomBytes;
import dev.berth.support.Sha256;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * An event outlives the replica that wrote it: two Berth processes on one store folder, the receiver failing
 * while replica A answers a push, A killed with SIGKILL before it could deliver; once the receiver is back,
 * replica B's sweeper delivers A's event from the store.
 */
@Timeout(300)
class NotificationsAfterReplicaDeathTest {

    @TempDir
    Path work;

    @Test
    void aKilledReplicasEventIsDeliveredByAnother() throws Exception {
        Path store = Files.createDirectories(work.resolve("store"));
        try (EventReceiver receiver = EventReceiver.start()) {
            receiver.answer(500);
            String[] args = {
                    "--berth.storage.backend=filesystem",
                    "--berth.storage.filesystem.root=" + store,
                    "--berth.uploads.purge.enabled=false",
                    "--berth.notifications.sweep-interval=300ms",
                    "--berth.notifications.sweep-after=1s",
                    "--berth.notifications.lock-timeout=3s",
                    "--berth.notifications.endpoints[0].name=ci",
                    "--berth.notifications.endpoints[0].url=" + receiver.url(),
                    "--berth.notifications.endpoints[0].backoff.initial=100ms",
                    "--berth.notifications.endpoints[0].backoff.max=500ms"};
            CompletableFuture<BerthProcess> startingA = CompletableFuture.supplyAsync(
                    () -> BerthProcess.start("notify-a", List.of("-Xmx256m"), null, args));
            try (BerthProcess b = BerthProcess.start("notify-b", List.of("-Xmx256m"), null, args);
                    BerthProcess a = startingA.join()) {
                byte[] config = RandomBytes.randomBytes(50);
                expect(201, Http.sendText("POST", a.uri("/v2/team/app/blobs/uploads/?digest=" + Sha256.digest(config)),
                        config));
                byte[] manifest = ("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                        + "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\""
                        + Sha256.digest(config) + "\",\"size\":50},\"layers\":[]}").getBytes(StandardCharsets.UTF_8);
                expect(201, Http.sendText("PUT", a.uri("/v2/team/app/manifests/v1"), manifest,
                        "Content-Type", "application/vnd.oci.image.manifest.v1+json"));
                a.kill();
                assertThat(outbox(store)).as("A's event waits in the store").hasSize(1);
                assertThat(receiver.received()).isEmpty();

                receiver.answer(200);
                List<EventReceiver.Received> events = receiver.await(Duration.ofSeconds(60), all -> !all.isEmpty());
                JsonNode event = events.get(0).event();
                assertThat(event.path("action").asString()).isEqualTo("push");
                assertThat(event.path("target").path("digest").asString()).isEqualTo(Sha256.digest(manifest));
                assertThat(event.path("target").path("tag").asString()).isEqualTo("v1");
                assertThat(a.isAlive()).as("delivered by B: A is dead").isFalse();
                Thread.sleep(1000);
                assertThat(receiver.ids()).as("one event, however often it came").hasSize(1);
                assertThat(outbox(store)).as("delivered, so gone from the store").isEmpty();
            }
        }
    }

    private static List<Path> outbox(Path store) throws Exception {
        Path events = store.resolve("berth/notifications/ci/events");
        if (!Files.isDirectory(events)) {
            return List.of();
        }
        try (Stream<Path> files = Files.walk(events)) {
            return files.filter(Files::isRegularFile).toList();
        }
    }

    private static void expect(int status, HttpResponse<String> response) {
        assertThat(response.statusCode()).as("%s %s: %s", response.request().method(), response.request().uri(),
                response.body()).isEqualTo(status);
    }
}
