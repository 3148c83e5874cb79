package dev.berth.settings;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.BerthApplication;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

/**
 * Mistakes an operator makes at start-up end in Spring Boot's short "APPLICATION FAILED TO START" report, whose
 * description and action name the property to set, never in a chain of bean-creation failures.
 */
@ExtendWith(OutputCaptureExtension.class)
class StartupMistakesTest {

    @TempDir
    static Path work;

    static Stream<Arguments> mistakes() throws Exception {
        Path aFile = Files.writeString(work.resolve("a-file"), "not a folder");
        return Stream.of(
                Arguments.of("azure without a connection string", List.of("--berth.storage.backend=azure"),
                        "berth.storage.azure.connection-string: not set", "Set berth.storage.azure.connection-string"),
                Arguments.of("an unknown store", List.of("--berth.storage.backend=s3"),
                        "Failed to bind properties under 'berth.storage.backend'",
                        "The following values are valid:\n\n    AZURE\n    FILESYSTEM"),
                Arguments.of("an impossible store folder",
                        List.of("--berth.storage.filesystem.root=" + aFile.resolve("store")),
                        "berth.storage.filesystem.root: cannot create the store folder " + aFile.resolve("store"),
                        "Set berth.storage.filesystem.root to a folder Berth may create and write"),
                Arguments.of("a missing htpasswd file", List.of("--berth.auth.mode=htpasswd",
                        "--berth.auth.htpasswd.path=" + work.resolve("missing/htpasswd")),
                        "berth.auth.htpasswd.path: " + work.resolve("missing/htpasswd") + " is not a readable file",
                        "Create the file with 'htpasswd -B -c"),
                Arguments.of("an htpasswd rule with an unknown action", List.of("--berth.auth.mode=htpasswd",
                        "--berth.auth.htpasswd.path=" + aFile, "--berth.auth.htpasswd.access[0].repositories=ci/**",
                        "--berth.auth.htpasswd.access[0].users=ci", "--berth.auth.htpasswd.access[0].actions=pull,write"),
                        "berth.auth.htpasswd.access[0].actions: 'write' is not an action",
                        "Use pull, push, delete, or * for all three"),
                Arguments.of("htpasswd rules without htpasswd mode", List.of(
                        "--berth.auth.htpasswd.access[0].repositories=**", "--berth.auth.htpasswd.access[0].users=dev",
                        "--berth.auth.htpasswd.access[0].actions=pull"),
                        "berth.auth.htpasswd.access: lists rules, but berth.auth.mode is none",
                        "Set berth.auth.mode=htpasswd"),
                Arguments.of("token mode without a key", List.of("--berth.auth.mode=token",
                        "--berth.auth.token.realm=https://auth.example.com/token", "--berth.auth.token.service=berth",
                        "--berth.auth.token.issuer=issuer"),
                        "berth.auth.token.certificates: not set, and neither is berth.auth.token.jwks",
                        "Set berth.auth.token.certificates"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("mistakes")
    void aMistakeIsReportedInAFewLinesNamingTheProperty(String mistake, List<String> args, String description,
            String action, CapturedOutput output) {
        List<String> all = new ArrayList<>(args);
        all.addAll(List.of("--server.port=0", "--management.server.port=0",
                "--berth.storage.filesystem.root=" + work.resolve("store-" + mistake.hashCode()),
                "--berth.uploads.purge.enabled=false"));
        if (args.stream().anyMatch(a -> a.startsWith("--berth.storage.filesystem.root="))) {
            all.remove(all.size() - 2);
        }
        assertThatThrownBy(() -> SpringApplication.run(BerthApplication.class, all.toArray(String[]::new)))
                .isInstanceOf(RuntimeException.class);
        String printed = output.getAll();
        assertThat(printed).contains("APPLICATION FAILED TO START");
        String report = printed.substring(printed.indexOf("APPLICATION FAILED TO START"));
        assertThat(report).contains("Description:").contains(description).contains("Action:").contains(action);
        assertThat(report.lines().count()).as("the report's length\n" + report).isLessThan(30);
        assertThat(report).doesNotContain("UnsatisfiedDependencyException");
        assertThat(printed).as("no stack trace anywhere").doesNotContain("\tat ");
    }

    /** As an operator sees it: the process prints the report and exits non-zero. */
    @Test
    void theProcessExitsNonZero() throws Exception {
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        Path log = work.resolve("process.log");
        Process process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", classPath, BerthApplication.class.getName(), "--server.port=0", "--management.server.port=0",
                "--berth.auth.mode=htpasswd", "--berth.auth.htpasswd.path=/nonexistent/htpasswd")
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        assertThat(process.waitFor(120, TimeUnit.SECONDS)).isTrue();
        String printed = Files.readString(log, StandardCharsets.UTF_8);
        assertThat(process.exitValue()).as(printed).isNotZero();
        assertThat(printed).contains("APPLICATION FAILED TO START")
                .contains("berth.auth.htpasswd.path: /nonexistent/htpasswd is not a readable file");
    }
}
