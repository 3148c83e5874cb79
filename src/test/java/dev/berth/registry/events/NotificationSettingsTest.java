package dev.berth.registry.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.BerthApplication;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

/**
 * A notification endpoint Berth cannot use stops the start with Spring Boot's short report naming the property,
 * and a header's value never appears in it, even when the file holding it is malformed.
 */
@ExtendWith(OutputCaptureExtension.class)
class NotificationSettingsTest {

    static final String ENDPOINT = "--berth.notifications.endpoints[0].";

    @TempDir
    static Path work;

    static Stream<Arguments> mistakes() throws Exception {
        Path malformed = Files.writeString(work.resolve("malformed-headers"),
                "Authorization: Bearer fine\nBearer secret-token-without-a-name\n");
        return Stream.of(
                Arguments.of("no name", List.of(ENDPOINT + "url=http://127.0.0.1:9/hook"),
                        "berth.notifications.endpoints[0].name: not set"),
                Arguments.of("a name unfit for paths", List.of(ENDPOINT + "name=CI/Hooks",
                        ENDPOINT + "url=http://127.0.0.1:9/hook"),
                        "berth.notifications.endpoints[0].name: 'CI/Hooks' is not a name"),
                Arguments.of("two endpoints of one name", List.of(ENDPOINT + "name=ci",
                        ENDPOINT + "url=http://127.0.0.1:9/hook", "--berth.notifications.endpoints[1].name=ci",
                        "--berth.notifications.endpoints[1].url=http://127.0.0.1:9/other"),
                        "berth.notifications.endpoints[1].name: 'ci' names two endpoints"),
                Arguments.of("a relative URL", List.of(ENDPOINT + "name=ci", ENDPOINT + "url=/hook"),
                        "berth.notifications.endpoints[0].url: /hook is not an absolute http or https URL"),
                Arguments.of("a backoff that shrinks", List.of(ENDPOINT + "name=ci",
                        ENDPOINT + "url=http://127.0.0.1:9/hook", ENDPOINT + "backoff.initial=10s",
                        ENDPOINT + "backoff.max=1s"),
                        "berth.notifications.endpoints[0].backoff.max: PT1S is shorter than backoff.initial"),
                Arguments.of("an unknown action", List.of(ENDPOINT + "name=ci",
                        ENDPOINT + "url=http://127.0.0.1:9/hook", ENDPOINT + "actions=push,tag"),
                        "Failed to bind properties under 'berth.notifications.endpoints[0].actions"),
                Arguments.of("an unknown format", List.of(ENDPOINT + "name=ci",
                        ENDPOINT + "url=http://127.0.0.1:9/hook", ENDPOINT + "format=cloud-event"),
                        "Failed to bind properties under 'berth.notifications.endpoints[0].format'"),
                Arguments.of("a CloudEvents source that is no URI", List.of(ENDPOINT + "name=ci",
                        ENDPOINT + "url=http://127.0.0.1:9/hook", ENDPOINT + "format=cloudevents",
                        "--berth.notifications.cloudevents-source=registry example"),
                        "berth.notifications.cloudevents-source: 'registry example' is not a URI reference"),
                Arguments.of("a missing headers file", List.of(ENDPOINT + "name=ci",
                        ENDPOINT + "url=http://127.0.0.1:9/hook", ENDPOINT + "headers-file=" + work.resolve("none")),
                        "berth.notifications.endpoints[0].headers-file: " + work.resolve("none")
                                + " is not a readable file"),
                Arguments.of("a malformed headers file", List.of(ENDPOINT + "name=ci",
                        ENDPOINT + "url=http://127.0.0.1:9/hook", ENDPOINT + "headers-file=" + malformed),
                        "berth.notifications.endpoints[0].headers-file: line 2 of " + malformed
                                + " is not 'Name: value'"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("mistakes")
    void aMistakeStopsTheStartNamingThePropertyAndNoSecret(String mistake, List<String> args, String description,
            CapturedOutput output) {
        List<String> all = new ArrayList<>(args);
        all.addAll(List.of("--server.port=0", "--management.server.port=0",
                "--berth.storage.filesystem.root=" + work.resolve("store"), "--berth.uploads.purge.enabled=false"));
        assertThatThrownBy(() -> SpringApplication.run(BerthApplication.class, all.toArray(String[]::new)))
                .isInstanceOf(RuntimeException.class);
        String printed = output.getAll();
        assertThat(printed).contains("APPLICATION FAILED TO START");
        String report = printed.substring(printed.indexOf("APPLICATION FAILED TO START"));
        assertThat(report).contains("Description:").contains(description).contains("Action:");
        assertThat(report.lines().count()).as("the report's length\n" + report).isLessThan(30);
        assertThat(printed).doesNotContain("secret-token").doesNotContain("Bearer fine");
    }
}
