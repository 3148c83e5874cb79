package dev.berth.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.settings.InvalidSettingException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.security.crypto.bcrypt.BCrypt;

/** {@code berth.auth.htpasswd.access}: how rules combine, what they refuse at start, and the one decision. */
@ExtendWith(OutputCaptureExtension.class)
class HtpasswdRightsTest {

    /** The example of docs/auth.md: CI pushes to ci/**, developers pull everything, admins do anything. */
    static final List<AuthProperties.Htpasswd.Rule> TEAM = List.of(
            rule(List.of("ci/**"), List.of("ci"), List.of("pull", "push")),
            rule(List.of("**"), List.of("*"), List.of("pull")),
            rule(List.of("**"), List.of("admin"), List.of("*")),
            rule(List.of("team/*"), List.of("dev", "lead"), List.of("push")));

    @TempDir
    Path work;

    static AuthProperties.Htpasswd.Rule rule(List<String> repositories, List<String> users, List<String> actions) {
        return new AuthProperties.Htpasswd.Rule(repositories, users, actions);
    }

    @Test
    void withoutRulesEveryUserMayDoEverything() {
        HtpasswdRights rights = new HtpasswdRights(List.of());
        assertThat(rights.restricted()).isFalse();
        assertThat(rights.allows("anyone", Access.repository("team/app", "delete"))).isTrue();
        assertThat(rights.allows("anyone", Access.catalog())).isTrue();
        assertThat(new HtpasswdRights(null).restricted()).isFalse();
    }

    @Test
    void aUserMayDoTheUnionOfTheRulesNamingThem() {
        HtpasswdRights rights = new HtpasswdRights(TEAM);
        assertThat(rights.allows("ci", Access.repository("ci/build/app", "push"))).isTrue();
        assertThat(rights.allows("ci", Access.repository("ci/app", "delete"))).isFalse();
        assertThat(rights.allows("ci", Access.repository("team/app", "push"))).isFalse();
        assertThat(rights.allows("ci", Access.repository("team/app", "pull"))).as("from the * rule").isTrue();
        assertThat(rights.allows("dev", Access.repository("team/app", "push"))).isTrue();
        assertThat(rights.allows("dev", Access.repository("team/app/sub", "push"))).as("* stays in one component")
                .isFalse();
        assertThat(rights.allows("dev", Access.repository("team/app", "delete"))).isFalse();
        assertThat(rights.allows("admin", Access.repository("anything/at/all", "delete"))).isTrue();
        assertThat(rights.allows("nobody-listed", Access.repository("x", "pull"))).isTrue();
        assertThat(rights.allows("nobody-listed", Access.repository("x", "push"))).isFalse();
        // The catalog is any user's; any other registry resource is nobody's.
        assertThat(rights.allows("nobody-listed", Access.catalog())).isTrue();
        assertThat(rights.allows("admin", new Access("registry", "other", "*"))).isFalse();
        assertThat(rights.identity("ci").allows(Access.repository("ci/app", "push"))).isTrue();
        assertThat(rights.identity("ci").subject()).isEqualTo("ci");
    }

    @Test
    void actionsAreCaseInsensitiveAndAStarGrantsAllThree() {
        HtpasswdRights rights = new HtpasswdRights(List.of(rule(List.of("a/*"), List.of("u"), List.of("PULL", " * "))));
        for (String action : List.of("pull", "push", "delete")) {
            assertThat(rights.allows("u", Access.repository("a/b", action))).as(action).isTrue();
        }
        assertThat(rights.allows("u", Access.repository("b/a", "pull"))).isFalse();
    }

    @Test
    void mistakesStopStartUpNamingTheRule() {
        assertRefused(rule(List.of("ci/**"), List.of("ci"), List.of("pull", "write")),
                "berth.auth.htpasswd.access[0].actions: 'write' is not an action");
        assertRefused(rule(List.of(), List.of("ci"), List.of("pull")), "berth.auth.htpasswd.access[0].repositories: empty");
        assertRefused(rule(null, List.of("ci"), List.of("pull")), "berth.auth.htpasswd.access[0].repositories: empty");
        assertRefused(rule(List.of("ci/**"), List.of(), List.of("pull")), "berth.auth.htpasswd.access[0].users: empty");
        assertRefused(rule(List.of("ci/**"), List.of("ci", " "), List.of("pull")),
                "berth.auth.htpasswd.access[0].users: has an empty entry");
        assertRefused(rule(List.of("ci/**"), List.of("ci"), null), "berth.auth.htpasswd.access[0].actions: empty");
        assertRefused(rule(List.of("CI/**"), List.of("ci"), List.of("pull")),
                "berth.auth.htpasswd.access[0].repositories: 'CI/**' can never match");
        assertRefused(rule(List.of("ci/**"), List.of("ci:pw"), List.of("pull")),
                "berth.auth.htpasswd.access[0].users: 'ci:pw' is not a user name");
        assertThatThrownBy(() -> new HtpasswdRights(List.of(TEAM.get(0), rule(List.of("x"), List.of("u"),
                List.of("pul"))))).hasMessageStartingWith("berth.auth.htpasswd.access[1].actions");
    }

    /** The web UI asks {@link RegistryAccess} about a signed-in user; the API filter asks it about the identity. */
    @Test
    void theWebUiAndTheApiGetTheSameAnswer() throws Exception {
        Path file = work.resolve("htpasswd");
        Files.writeString(file, "ci:" + BCrypt.hashpw("ci-pw", BCrypt.gensalt(4)) + "\nadmin:"
                + BCrypt.hashpw("admin-pw", BCrypt.gensalt(4)) + "\n");
        HtpasswdAuthenticator authenticator = new HtpasswdAuthenticator(file, "r", new HtpasswdRights(TEAM));
        RegistryAccess access = new RegistryAccess(AuthProperties.Mode.HTPASSWD, authenticator,
                new LoginThrottle(0, Duration.ofMinutes(1), Clock.systemUTC()), List.of("public/**"));
        Identity ci = authenticator.authenticate(AuthTesting.basic("ci", "ci-pw")).identity();
        java.util.Map<Access, Boolean> expected = java.util.Map.of(Access.repository("ci/app", "push"), true,
                Access.repository("ci/app", "delete"), false, Access.repository("team/app", "push"), false,
                Access.repository("team/app", "pull"), true, Access.catalog(), true);
        expected.forEach((wanted, allowed) -> {
            assertThat(access.allows(ci, wanted)).as("API: %s", wanted).isEqualTo(allowed);
            assertThat(access.allows("ci", wanted)).as("web UI: %s", wanted).isEqualTo(allowed);
        });
        assertThat(access.allows("admin", Access.repository("team/app", "delete"))).isTrue();
        // Anonymous pull holds for anyone; a name the file does not list has no more than that.
        assertThat(access.allows((String) null, Access.repository("public/app", "pull"))).isTrue();
        assertThat(access.allows((String) null, Access.repository("team/app", "pull"))).isFalse();
        assertThat(access.allows("mallory", Access.repository("team/app", "pull"))).isFalse();
        assertThat(access.allows("mallory", Access.repository("public/app", "pull"))).isTrue();
    }

    /** A rule naming a user the file lacks (a typo, or someone not added yet) is a warning, not a refusal. */
    @Test
    void usersTheFileLacksAreNamedInAWarning(CapturedOutput output) throws Exception {
        Path file = work.resolve("htpasswd-typo");
        Files.writeString(file, "admin:" + BCrypt.hashpw("admin-pw", BCrypt.gensalt(4)) + "\n");
        new HtpasswdAuthenticator(file, "r", new HtpasswdRights(List.of(
                rule(List.of("**"), List.of("admn", "admin", "*"), List.of("*")))));
        assertThat(output.getAll()).contains("berth.auth.htpasswd.access names users " + file
                + " does not list, who get no rights until it does: [admn]");
    }

    private static void assertRefused(AuthProperties.Htpasswd.Rule rule, String message) {
        assertThatThrownBy(() -> new HtpasswdRights(List.of(rule))).isInstanceOf(InvalidSettingException.class)
                .hasMessageStartingWith(message);
    }
}
