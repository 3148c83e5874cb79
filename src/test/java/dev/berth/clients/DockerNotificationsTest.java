package dev.berth.clients;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.support.BerthServer;
import dev.berth.support.EventReceiver;
import dev.berth.support.Http;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * What the Docker Engine does to a registry arrives as notifications in Distribution's envelope, in order:
 * {@code docker push}, {@code docker pull} after the image was forgotten, then the tag and the manifest
 * deleted over HTTP.
 */
@Timeout(180)
class DockerNotificationsTest {

    static final Pattern PUSHED_DIGEST = Pattern.compile("digest: (sha256:[0-9a-f]{64}) size: (\\d+)");

    @TempDir
    Path work;

    @Test
    void dockerPushPullAndDeletesArriveInOrder() throws Exception {
        Commands.requireDockerDaemon();
        try (EventReceiver receiver = EventReceiver.start();
                BerthServer berth = BerthServer.startOnFilesystem(work.resolve("store"),
                        "--berth.uploads.purge.enabled=false",
                        "--berth.notifications.endpoints[0].name=docker",
                        "--berth.notifications.endpoints[0].url=" + receiver.url(),
                        "--berth.notifications.endpoints[0].actions=push,pull,delete")) {
            String suffix = Commands.randomSuffix();
            String repository = "events/app-" + suffix;
            String image = berth.hostAndPort() + "/" + repository + ":v1";
            Path context = Files.createDirectories(work.resolve("context"));
            Files.writeString(context.resolve("hello.txt"), "hello " + suffix + "\n");
            Files.writeString(context.resolve("Dockerfile"), "FROM scratch\nCOPY hello.txt /hello.txt\n",
                    StandardCharsets.UTF_8);
            try {
                Commands.docker(Duration.ofSeconds(90), "build", "--force-rm", "-q", "-t", image, context.toString());
                Matcher pushed = PUSHED_DIGEST.matcher(Commands.docker(Duration.ofSeconds(90), "push", image));
                assertThat(pushed.find()).isTrue();
                String digest = pushed.group(1);
                long size = Long.parseLong(pushed.group(2));
                Commands.docker(Duration.ofSeconds(30), "rmi", "-f", image);
                Commands.docker(Duration.ofSeconds(90), "pull", image);
                assertThat(Http.sendText("DELETE", berth.uri("/v2/" + repository + "/manifests/v1"), null)
                        .statusCode()).isEqualTo(202);
                assertThat(Http.sendText("DELETE", berth.uri("/v2/" + repository + "/manifests/" + digest), null)
                        .statusCode()).isEqualTo(202);

                List<EventReceiver.Received> events = receiver.await(Duration.ofSeconds(30), all -> all.size() >= 4
                        && all.get(all.size() - 1).action().equals("delete")
                        && all.get(all.size() - 1).event().path("target").has("digest"));
                List<String> actions = events.stream().map(EventReceiver.Received::action).toList();
                // Docker may push an index and its manifests (each a push) and read the index before the
                // manifest (each a pull): pushes first, then pulls, then the two deletes.
                assertThat(String.join(",", actions)).matches("(push,)+(pull,)+delete,delete");

                JsonNode tagged = events.stream().filter(e -> e.action().equals("push"))
                        .map(EventReceiver.Received::event)
                        .filter(e -> e.path("target").path("tag").asString().equals("v1")).findFirst().orElseThrow();
                assertThat(tagged.path("target").path("digest").asString()).isEqualTo(digest);
                assertThat(tagged.path("target").path("size").asLong()).isEqualTo(size);
                assertThat(tagged.path("target").path("repository").asString()).isEqualTo(repository);
                assertThat(tagged.path("target").path("mediaType").asString()).contains("manifest");
                assertThat(tagged.path("request").path("useragent").asString()).contains("docker/");
                // The daemon resolves the tag with a HEAD (no event) and GETs the manifest by digest.
                JsonNode pull = events.get(actions.lastIndexOf("pull")).event();
                assertThat(pull.path("target").path("digest").asString()).isEqualTo(digest);
                assertThat(pull.path("request").path("method").asString()).isEqualTo("GET");
                JsonNode tagDelete = events.get(events.size() - 2).event();
                assertThat(tagDelete.path("target").path("tag").asString()).isEqualTo("v1");
                assertThat(events.get(events.size() - 1).event().path("target").path("digest").asString())
                        .isEqualTo(digest);
                for (EventReceiver.Received event : events) {
                    assertThat(event.header("Content-Type"))
                            .isEqualTo("application/vnd.docker.distribution.events.v1+json");
                    assertThat(event.event().path("target").path("repository").asString()).isEqualTo(repository);
                }
                assertThat(receiver.ids()).hasSize(events.size());
            } finally {
                Commands.exec(Duration.ofSeconds(30), Commands.dockerEnv(), Commands.docker(), "rmi", "-f", image);
            }
        }
    }
}
