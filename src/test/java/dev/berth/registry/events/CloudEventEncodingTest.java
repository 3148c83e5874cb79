package dev.berth.registry.events;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The CloudEvent an endpoint of format {@code cloudevents} gets for an event as the outbox stores it: the
 * required attributes, a type per action, a subject naming what the event is about, Distribution's event as
 * data, and the same CloudEvent however often it is built.
 */
class CloudEventEncodingTest {

    static final String DIGEST = "sha256:" + "ab".repeat(32);
    final JsonMapper json = JsonMapper.builder().build();

    static byte[] stored(String action, String target) {
        return ("{\"id\":\"4c7c5b0e-1\",\"timestamp\":\"2026-11-30T09:12:01.123456Z\",\"action\":\"" + action + "\","
                + "\"target\":" + target + ",\"request\":{\"id\":\"req-1\",\"addr\":\"10.0.3.7:51234\","
                + "\"host\":\"registry.example.com:5000\",\"method\":\"PUT\",\"useragent\":\"docker/27\"},"
                + "\"source\":{\"addr\":\"berth-0\",\"instanceID\":\"i-1\"}}").getBytes(StandardCharsets.UTF_8);
    }

    JsonNode encode(String source, byte[] event) {
        CloudEventEncoding encoding = new CloudEventEncoding(json, source);
        return json.readTree(encoding.body(event));
    }

    @Test
    void aPushByTagIsAPushedCloudEventAboutTheTagCarryingDistributionsEvent() {
        byte[] push = stored("push", "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"size\":1187,"
                + "\"digest\":\"" + DIGEST + "\",\"length\":1187,\"repository\":\"team/app\",\"tag\":\"v1.4\"}");
        JsonNode event = encode(null, push);

        assertThat(event.path("specversion").asString()).isEqualTo("1.0");
        assertThat(event.path("id").asString()).isEqualTo("4c7c5b0e-1");
        assertThat(event.path("source").asString()).isEqualTo("/berth/registry.example.com:5000");
        assertThat(event.path("type").asString()).isEqualTo("dev.berth.registry.pushed");
        assertThat(event.path("subject").asString()).isEqualTo("team/app:v1.4");
        assertThat(event.path("time").asString()).isEqualTo("2026-11-30T09:12:01.123456Z");
        assertThat(event.path("datacontenttype").asString()).isEqualTo("application/json");
        assertThat(event.path("data")).isEqualTo(json.readTree(push));
        assertThat(encode(null, push)).as("every copy alike").isEqualTo(event);
        assertThat(new CloudEventEncoding(json, null).mediaType()).startsWith("application/cloudevents+json");
    }

    @Test
    void eachActionHasItsTypeAndWhatHasNoTagIsNamedByDigest() {
        JsonNode delete = encode(null, stored("delete", "{\"digest\":\"" + DIGEST + "\",\"repository\":\"team/app\"}"));
        assertThat(delete.path("type").asString()).isEqualTo("dev.berth.registry.deleted");
        assertThat(delete.path("subject").asString()).isEqualTo("team/app@" + DIGEST);

        JsonNode untag = encode(null, stored("delete", "{\"repository\":\"team/app\",\"tag\":\"old\"}"));
        assertThat(untag.path("subject").asString()).isEqualTo("team/app:old");

        JsonNode mount = encode(null, stored("mount", "{\"digest\":\"" + DIGEST + "\",\"repository\":\"team/b\","
                + "\"fromRepository\":\"team/app\"}"));
        assertThat(mount.path("type").asString()).isEqualTo("dev.berth.registry.mounted");
        assertThat(mount.path("subject").asString()).isEqualTo("team/b@" + DIGEST);

        JsonNode pull = encode(null, stored("pull", "{\"digest\":\"" + DIGEST + "\",\"repository\":\"team/app\"}"));
        assertThat(pull.path("type").asString()).isEqualTo("dev.berth.registry.pulled");
    }

    @Test
    void aHostAPathCannotHoldAsItIsIsEscapedInTheSource() {
        byte[] event = new String(stored("delete", "{\"repository\":\"team/app\",\"tag\":\"old\"}"),
                StandardCharsets.UTF_8).replace("registry.example.com:5000", "[::1]:5000")
                .getBytes(StandardCharsets.UTF_8);
        assertThat(encode(null, event).path("source").asString()).isEqualTo("/berth/%5B::1%5D:5000");
    }

    @Test
    void theConfiguredSourceNamesTheRegistry() {
        JsonNode event = encode("https://registry.example.com", stored("delete",
                "{\"repository\":\"team/app\",\"tag\":\"old\"}"));
        assertThat(event.path("source").asString()).isEqualTo("https://registry.example.com");
    }
}
