package dev.berth.registry.events;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.support.BerthServer;
import dev.berth.support.EventReceiver;
import dev.berth.support.Http;
import dev.berth.support.RandomBytes;
import dev.berth.support.Sha256;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import tools.jackson.databind.JsonNode;

/**
 * Notifications from a running Berth on the filesystem store to a receiver on loopback, over real HTTP: what
 * the API does arrives in order in Distribution's envelope with the configured headers; a receiver that fails
 * or is down for a while gets every event once it is back; an event nobody can deliver is given up after
 * {@code max-age}.
 */
@ExtendWith(OutputCaptureExtension.class)
class NotificationDeliveryTest {

    static final String MEDIA_TYPE = "application/vnd.docker.distribution.events.v1+json";
    static final String MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json";
    static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path work;

    /** The endpoint {@code ci} at {@code receiver}, quick to retry, with every action of {@code app/**}. */
    List<String> args(EventReceiver receiver, String... more) {
        List<String> args = new ArrayList<>(List.of(
                "--berth.uploads.purge.enabled=false",
                "--berth.notifications.sweep-interval=200ms",
                "--berth.notifications.sweep-after=1s",
                "--berth.notifications.endpoints[0].name=ci",
                "--berth.notifications.endpoints[0].url=" + receiver.url(),
                "--berth.notifications.endpoints[0].actions=push,pull,delete,mount",
                "--berth.notifications.endpoints[0].repositories=app/**",
                "--berth.notifications.endpoints[0].backoff.initial=100ms",
                "--berth.notifications.endpoints[0].backoff.max=300ms"));
        args.addAll(List.of(more));
        return args;
    }

    @Test
    void whatTheApiDoesArrivesInOrderInDistributionsEnvelopeWithTheHeaders(CapturedOutput output) throws Exception {
        Path headersFile = Files.writeString(work.resolve("hook-headers"),
                "# mounted from a secret\nAuthorization: Bearer secret-from-file\n");
        try (EventReceiver receiver = EventReceiver.start();
                BerthServer berth = BerthServer.startOnFilesystem(work.resolve("store"), args(receiver,
                        "--berth.notifications.endpoints[0].headers-file=" + headersFile,
                        "--berth.notifications.endpoints[0].headers[X-Hook-Key]=${hook.key}",
                        "--hook.key=secret-from-elsewhere").toArray(String[]::new))) {
            byte[] config = RandomBytes.randomBytes(40);
            byte[] layer = RandomBytes.randomBytes(3000);
            pushBlob(berth, "app/one", config);
            pushBlob(berth, "app/one", layer);
            byte[] manifest = manifest(config, layer);
            String digest = Sha256.digest(manifest);

            expect(201, Http.sendText("PUT", berth.uri("/v2/app/one/manifests/v1"), manifest,
                    "Content-Type", MANIFEST_TYPE, "User-Agent", "events-test/1.0", "X-Request-Id", "req-42"));
            expect(200, Http.sendText("GET", berth.uri("/v2/app/one/manifests/v1"), null));
            expect(200, Http.sendText("HEAD", berth.uri("/v2/app/one/manifests/v1"), null)); // no event
            expect(201, Http.sendText("POST", berth.uri("/v2/app/two/blobs/uploads/?mount=" + Sha256.digest(layer)
                    + "&from=app/one"), new byte[0]));
            expect(202, Http.sendText("DELETE", berth.uri("/v2/app/two/blobs/" + Sha256.digest(layer)), null));
            expect(202, Http.sendText("DELETE", berth.uri("/v2/app/one/manifests/v1"), null));
            expect(202, Http.sendText("DELETE", berth.uri("/v2/app/one/manifests/" + digest), null));
            pushBlob(berth, "elsewhere/x", config); // a repository the endpoint does not want
            expect(201, Http.sendText("PUT", berth.uri("/v2/elsewhere/x/manifests/" + Sha256.digest(
                    manifest(config))), manifest(config), "Content-Type", MANIFEST_TYPE));

            List<EventReceiver.Received> events = receiver.await(WAIT, all -> all.size() >= 6);
            Thread.sleep(500); // nothing more comes
            events = receiver.received();
            assertThat(events).extracting(EventReceiver.Received::action)
                    .containsExactly("push", "pull", "mount", "delete", "delete", "delete");
            assertThat(receiver.ids()).hasSize(6);

            JsonNode push = events.get(0).event();
            assertThat(push.path("timestamp").asString()).satisfies(t -> assertThat(Instant.parse(t))
                    .isBetween(Instant.now().minusSeconds(60), Instant.now()));
            JsonNode target = push.path("target");
            assertThat(target.path("mediaType").asString()).isEqualTo(MANIFEST_TYPE);
            assertThat(target.path("digest").asString()).isEqualTo(digest);
            assertThat(target.path("size").asLong()).isEqualTo(manifest.length);
            assertThat(target.path("length").asLong()).isEqualTo(manifest.length);
            assertThat(target.path("repository").asString()).isEqualTo("app/one");
            assertThat(target.path("tag").asString()).isEqualTo("v1");
            assertThat(target.path("url").asString()).isEqualTo(berth.uri("/v2/app/one/manifests/" + digest).toString());
            JsonNode request = push.path("request");
            assertThat(request.path("id").asString()).isEqualTo("req-42");
            assertThat(request.path("method").asString()).isEqualTo("PUT");
            assertThat(request.path("useragent").asString()).isEqualTo("events-test/1.0");
            assertThat(request.path("host").asString()).isEqualTo(berth.hostAndPort());
            assertThat(request.path("addr").asString()).startsWith("127.0.0.1:");
            assertThat(push.path("source").path("instanceID").asString()).isNotBlank();
            assertThat(push.path("source").path("addr").asString()).isNotBlank();
            assertThat(push.has("actor")).as("no credentials, no actor").isFalse();

            assertThat(events.get(1).event().path("target").path("tag").asString()).isEqualTo("v1");
            assertThat(events.get(1).event().path("request").path("method").asString()).isEqualTo("GET");
            JsonNode mount = events.get(2).event().path("target");
            assertThat(mount.path("repository").asString()).isEqualTo("app/two");
            assertThat(mount.path("fromRepository").asString()).isEqualTo("app/one");
            assertThat(mount.path("digest").asString()).isEqualTo(Sha256.digest(layer));
            assertThat(events.get(3).event().path("target").path("digest").asString()).isEqualTo(Sha256.digest(layer));
            assertThat(events.get(4).event().path("target").path("tag").asString()).isEqualTo("v1");
            assertThat(events.get(4).event().path("target").has("digest")).isFalse();
            assertThat(events.get(5).event().path("target").path("digest").asString()).isEqualTo(digest);

            for (EventReceiver.Received event : events) {
                assertThat(event.header("Content-Type")).isEqualTo(MEDIA_TYPE);
                assertThat(event.header("Authorization")).isEqualTo("Bearer secret-from-file");
                assertThat(event.header("X-Hook-Key")).isEqualTo("secret-from-elsewhere");
            }
            assertThat(outbox(work.resolve("store"), "ci")).as("delivered events leave the outbox").isEmpty();
        }
        assertThat(output.getAll()).contains("notifications go to [Endpoint[ci ")
                .doesNotContain("secret-from-file").doesNotContain("secret-from-elsewhere");
    }

    /**
     * Next to an endpoint of the default format, which keeps Distribution's envelope, an endpoint of format
     * {@code cloudevents} gets one CloudEvent per request carrying the very event the other endpoint got, under
     * its id; sent again after the receiver failed, it comes with the same id.
     */
    @Test
    void anEndpointOfFormatCloudeventsGetsTheEventAsACloudEventUnderItsIdEachTimeItIsSent() throws Exception {
        try (EventReceiver receiver = EventReceiver.start();
                EventReceiver cloud = EventReceiver.start();
                BerthServer berth = BerthServer.startOnFilesystem(work.resolve("store"), args(receiver,
                        "--berth.notifications.cloudevents-source=https://registry.example.com",
                        "--berth.notifications.endpoints[1].name=knative",
                        "--berth.notifications.endpoints[1].url=" + cloud.url(),
                        "--berth.notifications.endpoints[1].format=cloudevents",
                        "--berth.notifications.endpoints[1].backoff.initial=100ms",
                        "--berth.notifications.endpoints[1].backoff.max=300ms").toArray(String[]::new))) {
            cloud.answer(500);
            byte[] config = RandomBytes.randomBytes(40);
            pushBlob(berth, "app/ce", config);
            byte[] manifest = manifest(config);
            String digest = Sha256.digest(manifest);
            expect(201, Http.sendText("PUT", berth.uri("/v2/app/ce/manifests/v1"), manifest,
                    "Content-Type", MANIFEST_TYPE));
            Instant deadline = Instant.now().plus(WAIT);
            while (cloud.attempts() < 2) { // refused, and refused again
                assertThat(Instant.now()).as("the CloudEvents endpoint is tried").isBefore(deadline);
                Thread.sleep(20);
            }
            cloud.answer(200);
            expect(202, Http.sendText("DELETE", berth.uri("/v2/app/ce/manifests/" + digest), null));

            List<EventReceiver.Received> events = receiver.await(WAIT, all -> all.size() >= 2);
            assertThat(events).extracting(EventReceiver.Received::action).containsExactly("push", "delete");
            assertThat(events).allSatisfy(event -> assertThat(event.header("Content-Type")).isEqualTo(MEDIA_TYPE));
            List<String> ids = events.stream().map(EventReceiver.Received::id).toList();
            while (cloud.posts().stream().filter(post -> post.answered() == 200)
                    .map(post -> post.body().path("id").asString()).distinct().count() < 2) {
                assertThat(Instant.now()).as("both CloudEvents arrive: %s", cloud.posts()).isBefore(deadline);
                Thread.sleep(20);
            }
            List<EventReceiver.Post> posts = cloud.posts();
            List<EventReceiver.Post> refused = posts.stream().filter(post -> post.answered() == 500).toList();
            List<EventReceiver.Post> taken = posts.stream().filter(post -> post.answered() == 200).toList();
            assertThat(refused).hasSizeGreaterThanOrEqualTo(2).allSatisfy(post -> assertThat(
                    post.body().path("id").asString()).as("the same id each time it is sent").isEqualTo(ids.get(0)));
            assertThat(taken.stream().map(post -> post.body().path("id").asString()).distinct())
                    .as("the ids of Distribution's events, in order").containsExactlyElementsOf(ids);

            for (EventReceiver.Post post : posts) {
                assertThat(post.header("Content-Type")).startsWith("application/cloudevents+json");
                JsonNode event = post.body();
                assertThat(event.has("events")).as("one event, not an envelope").isFalse();
                assertThat(event.path("specversion").asString()).isEqualTo("1.0");
                assertThat(event.path("source").asString()).isEqualTo("https://registry.example.com");
                assertThat(event.path("datacontenttype").asString()).isEqualTo("application/json");
                JsonNode data = events.get(ids.indexOf(event.path("id").asString())).event();
                assertThat(event.path("data")).as("Distribution's event, whole").isEqualTo(data);
                assertThat(event.path("time").asString()).isEqualTo(data.path("timestamp").asString());
            }
            JsonNode push = taken.get(0).body();
            assertThat(push.path("type").asString()).isEqualTo("dev.berth.registry.pushed");
            assertThat(push.path("subject").asString()).isEqualTo("app/ce:v1");
            JsonNode delete = taken.get(taken.size() - 1).body();
            assertThat(delete.path("type").asString()).isEqualTo("dev.berth.registry.deleted");
            assertThat(delete.path("subject").asString()).isEqualTo("app/ce@" + digest);
        }
    }

    @Test
    void aReceiverThatFailsOrIsDownForAWhileGetsEveryEventOnceBack() throws Exception {
        try (EventReceiver receiver = EventReceiver.start();
                BerthServer berth = BerthServer.startOnFilesystem(work.resolve("store"),
                        args(receiver).toArray(String[]::new))) {
            receiver.answer(500);
            List<String> pushed = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                if (i == 3) {
                    receiver.stop(); // connections refused now
                }
                byte[] config = RandomBytes.randomBytes(40);
                pushBlob(berth, "app/down", config);
                byte[] manifest = manifest(config);
                pushed.add(Sha256.digest(manifest));
                expect(201, Http.sendText("PUT", berth.uri("/v2/app/down/manifests/" + Sha256.digest(manifest)),
                        manifest, "Content-Type", MANIFEST_TYPE));
            }
            Thread.sleep(2000); // the writer and the sweeper both try, and fail
            assertThat(receiver.received()).isEmpty();
            assertThat(outbox(work.resolve("store"), "ci")).hasSize(6);

            receiver.restart();
            receiver.answer(200);
            List<EventReceiver.Received> events = receiver.await(WAIT, all -> all.stream()
                    .map(e -> e.event().path("target").path("digest").asString()).distinct().count() == 6);
            List<String> digests = events.stream().map(e -> e.event().path("target").path("digest").asString())
                    .distinct().toList();
            assertThat(digests).as("every push, in the order pushed").containsExactlyElementsOf(pushed);
            // At least once: an event that came twice came with the same id.
            assertThat(receiver.ids()).hasSize(6);
            awaitEmpty(work.resolve("store"), "ci");
        }
    }

    @Test
    void anEventNobodyCanDeliverIsGivenUpAfterMaxAge(CapturedOutput output) throws Exception {
        try (EventReceiver receiver = EventReceiver.start();
                BerthServer berth = BerthServer.startOnFilesystem(work.resolve("store"), args(receiver,
                        "--berth.notifications.endpoints[0].max-age=1s").toArray(String[]::new))) {
            receiver.answer(503);
            byte[] config = RandomBytes.randomBytes(40);
            pushBlob(berth, "app/doomed", config);
            byte[] manifest = manifest(config);
            expect(201, Http.sendText("PUT", berth.uri("/v2/app/doomed/manifests/latest"), manifest,
                    "Content-Type", MANIFEST_TYPE));
            awaitEmpty(work.resolve("store"), "ci");
            assertThat(receiver.attempts()).isPositive();
            assertThat(output.getAll()).contains("given up undelivered");
            String scrape = Http.getText(berth.managementUri("/actuator/prometheus")).body();
            assertThat(scrape).containsPattern("berth_notifications_given_up_total\\{endpoint=\"ci\"[^}]*\\} 1\\.0")
                    .containsPattern("berth_notifications_failed_total\\{endpoint=\"ci\"[^}]*\\} [1-9]");
            receiver.answer(200);
            Thread.sleep(1000);
            assertThat(receiver.received()).as("given up, never sent after").isEmpty();
        }
    }

    @Test
    void theUserTheCredentialsProvedIsTheActor() throws Exception {
        Path htpasswd = Files.writeString(work.resolve("htpasswd"), "alice:" + new org.springframework.security.crypto
                .bcrypt.BCryptPasswordEncoder(org.springframework.security.crypto.bcrypt.BCryptPasswordEncoder
                        .BCryptVersion.$2Y, 4).encode("alice-pw") + "\n");
        String basic = "Basic " + java.util.Base64.getEncoder().encodeToString("alice:alice-pw"
                .getBytes(StandardCharsets.UTF_8));
        try (EventReceiver receiver = EventReceiver.start();
                BerthServer berth = BerthServer.startOnFilesystem(work.resolve("store"), args(receiver,
                        "--berth.auth.mode=htpasswd", "--berth.auth.htpasswd.path=" + htpasswd)
                        .toArray(String[]::new))) {
            byte[] config = RandomBytes.randomBytes(40);
            expect(201, Http.sendText("POST", berth.uri("/v2/app/auth/blobs/uploads/?digest=" + Sha256.digest(config)),
                    config, "Authorization", basic));
            expect(201, Http.sendText("PUT", berth.uri("/v2/app/auth/manifests/v1"), manifest(config),
                    "Content-Type", MANIFEST_TYPE, "Authorization", basic));
            JsonNode push = receiver.await(WAIT, all -> !all.isEmpty()).get(0).event();
            assertThat(push.path("actor").path("name").asString()).isEqualTo("alice");
        }
    }

    @Test
    void aDeleteInTheWebUiIsSentAsTheApisIs() throws Exception {
        try (EventReceiver receiver = EventReceiver.start();
                BerthServer berth = BerthServer.startOnFilesystem(work.resolve("store"),
                        args(receiver).toArray(String[]::new))) {
            byte[] config = RandomBytes.randomBytes(40);
            pushBlob(berth, "app/ui", config);
            expect(201, Http.sendText("PUT", berth.uri("/v2/app/ui/manifests/v1"), manifest(config),
                    "Content-Type", MANIFEST_TYPE));
            HttpResponse<String> confirm = Http.getText(berth.uri("/ui/delete?name=app/ui&reference=v1"));
            expect(200, confirm);
            java.util.regex.Matcher token = java.util.regex.Pattern.compile("name=\"token\" value=\"([^\"]+)\"")
                    .matcher(confirm.body());
            assertThat(token.find()).as(confirm.body()).isTrue();
            HttpResponse<String> deleted = Http.sendText("POST", berth.uri("/ui/delete"),
                    ("name=app/ui&reference=v1&token=" + java.net.URLEncoder.encode(token.group(1),
                            StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8),
                    "Content-Type", "application/x-www-form-urlencoded", "User-Agent", "a-browser");
            assertThat(deleted.statusCode()).as(deleted.body()).isEqualTo(302);

            List<EventReceiver.Received> events = receiver.await(WAIT, all -> all.size() >= 2);
            assertThat(events).extracting(EventReceiver.Received::action).containsExactly("push", "delete");
            JsonNode delete = events.get(1).event();
            assertThat(delete.path("target").path("repository").asString()).isEqualTo("app/ui");
            assertThat(delete.path("target").path("tag").asString()).isEqualTo("v1");
            assertThat(delete.path("request").path("useragent").asString()).isEqualTo("a-browser");
        }
    }

    /**
     * Events are sent as they happen, not left to the sweeper (which here would wait ten minutes); the time
     * from a push's answer to the receiver holding its event is printed.
     */
    @Test
    void anEventIsSentAsThePushIsAnswered() throws Exception {
        try (EventReceiver receiver = EventReceiver.start();
                BerthServer berth = BerthServer.startOnFilesystem(work.resolve("store"),
                        args(receiver).stream().map(arg -> arg.startsWith("--berth.notifications.sweep-after=")
                                ? "--berth.notifications.sweep-after=10m" : arg).toArray(String[]::new))) {
            int pushes = 40;
            java.util.Map<String, Instant> answered = new java.util.HashMap<>();
            for (int i = 0; i < pushes; i++) {
                byte[] config = RandomBytes.randomBytes(40);
                pushBlob(berth, "app/latency", config);
                byte[] manifest = manifest(config);
                expect(201, Http.sendText("PUT", berth.uri("/v2/app/latency/manifests/" + Sha256.digest(manifest)),
                        manifest, "Content-Type", MANIFEST_TYPE));
                answered.put(Sha256.digest(manifest), Instant.now());
            }
            List<EventReceiver.Received> events = receiver.await(WAIT, all -> all.size() >= pushes);
            List<Long> micros = events.stream().map(e -> Duration.between(
                    answered.get(e.event().path("target").path("digest").asString()), e.at()).toNanos() / 1000)
                    .sorted().toList();
            long median = micros.get(micros.size() / 2);
            long p90 = micros.get(micros.size() * 9 / 10);
            long max = micros.get(micros.size() - 1);
            System.out.printf("notification latency, push answered -> receiver has the event, %d pushes on loopback:"
                    + " median %.1f ms, p90 %.1f ms, max %.1f ms%n", pushes, median / 1000.0, p90 / 1000.0,
                    max / 1000.0);
        }
    }

    static void awaitEmpty(Path store, String endpoint) throws Exception {
        Instant deadline = Instant.now().plus(WAIT);
        while (!outbox(store, endpoint).isEmpty()) {
            assertThat(Instant.now()).as("the outbox of %s empties: %s", endpoint, outbox(store, endpoint))
                    .isBefore(deadline);
            Thread.sleep(50);
        }
    }

    /** The events waiting in the outbox of {@code endpoint}, read straight from the store's folder. */
    static List<Path> outbox(Path store, String endpoint) throws IOException {
        Path events = store.resolve("berth/notifications/" + endpoint + "/events");
        if (!Files.isDirectory(events)) {
            return Collections.emptyList();
        }
        try (Stream<Path> files = Files.walk(events)) {
            return files.filter(Files::isRegularFile).sorted().toList();
        }
    }

    static byte[] manifest(byte[] config, byte[]... layers) {
        StringBuilder json = new StringBuilder("{\"schemaVersion\":2,\"mediaType\":\"" + MANIFEST_TYPE + "\","
                + "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\""
                + Sha256.digest(config) + "\",\"size\":" + config.length + "},\"layers\":[");
        for (int i = 0; i < layers.length; i++) {
            json.append(i == 0 ? "" : ",").append("{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\","
                    + "\"digest\":\"").append(Sha256.digest(layers[i])).append("\",\"size\":")
                    .append(layers[i].length).append("}");
        }
        return json.append("]}").toString().getBytes(StandardCharsets.UTF_8);
    }

    static void pushBlob(BerthServer berth, String repository, byte[] blob) {
        expect(201, Http.sendText("POST", berth.uri("/v2/" + repository + "/blobs/uploads/?digest="
                + Sha256.digest(blob)), blob));
    }

    static void expect(int status, HttpResponse<String> response) {
        assertThat(response.statusCode()).as("%s %s: %s", response.request().method(), response.request().uri(),
                response.body()).isEqualTo(status);
    }
}
