package dev.berth.ui;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.support.BerthServer;
import dev.berth.support.Http;
import dev.berth.support.RawHttp;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What clients that do not play along get from {@code /ui/}: HTML refusals, never a 5xx, never unbounded
 * work; and the root redirect that leaves {@code /v2/} to the API.
 */
class UiHostileRequestsTest {

    @TempDir
    static Path store;

    static BerthServer berth;

    @BeforeAll
    static void start() {
        berth = BerthServer.startOnFilesystem(store);
        UiImages images = new UiImages(berth, null);
        for (int i = 0; i < 120; i++) {
            images.blob(String.format("many/repo-%03d", i), new byte[] {(byte) i});
        }
        images.image("many/repo-000", "v1", "amd64", 1);
    }

    @AfterAll
    static void stop() {
        berth.close();
    }

    @Test
    void rootRedirectsToTheUiAndTheApiStaysTheApi() {
        HttpResponse<String> root = Http.getText(berth.uri("/"));
        assertThat(root.statusCode()).isEqualTo(302);
        assertThat(root.headers().firstValue("Location").orElseThrow()).endsWith("/ui/");
        HttpResponse<String> base = Http.getText(berth.uri("/v2/"));
        assertThat(base.statusCode()).isEqualTo(200);
        assertThat(base.body()).isEqualTo("{}");
        HttpResponse<String> unknownApi = Http.getText(berth.uri("/v2/ui/manifests/latest"));
        assertThat(unknownApi.statusCode()).isEqualTo(404);
        assertThat(unknownApi.headers().firstValue("Content-Type").orElseThrow()).startsWith("application/json");
    }

    @Test
    void aHugePageSizeIsClamped() {
        HttpResponse<String> page = Http.getText(berth.uri("/ui/?n=999999999999"));
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(rows(page.body(), "class=\"repo\"")).isEqualTo(RepositoriesController.MAX_PAGE);
        HttpResponse<String> notANumber = Http.getText(berth.uri("/ui/?n=-5"));
        assertThat(notANumber.statusCode()).isEqualTo(200);
        assertThat(rows(notANumber.body(), "class=\"repo\"")).isEqualTo(RepositoriesController.DEFAULT_PAGE);
        assertThat(Http.getText(berth.uri("/ui/repository?name=many/repo-000&n=100000")).statusCode()).isEqualTo(200);
    }

    @Test
    void unknownThingsAreNotFoundPages() {
        for (String path : new String[] {"/ui/repository?name=no/such", "/ui/repository?name=NOT..VALID",
                "/ui/repository", "/ui/image?name=many/repo-000&digest=sha256:" + "0".repeat(64),
                "/ui/image?name=many/repo-000&digest=nonsense", "/ui/no-such-page",
                "/ui/delete?name=many/repo-000&reference=no-such-tag"}) {
            HttpResponse<String> page = Http.getText(berth.uri(path));
            assertThat(page.statusCode()).as(path).isEqualTo(404);
            assertThat(page.headers().firstValue("Content-Type").orElse("")).as(path).startsWith("text/html");
        }
    }

    @Test
    void onlyTheUisOwnAssetsAreServed() {
        assertThat(Http.getText(berth.uri("/ui/assets/ui.css")).statusCode()).isEqualTo(200);
        assertThat(Http.getText(berth.uri("/ui/assets/other.css")).statusCode()).isEqualTo(404);
        assertThat(Http.getText(berth.uri("/ui/assets/application.yaml")).statusCode()).isEqualTo(404);
    }

    @Test
    void rewrittenPathsAreRefused() {
        for (String path : new String[] {"/ui/x/../", "/ui/..%2Fv2%2F", "/ui/%2e%2e/", "/ui/;a=b/", "/ui//"}) {
            RawHttp.Response answer = RawHttp.send(berth.port(), "GET", path, "Host: x\r\nConnection: close", null);
            assertThat(answer.status()).as(path + ": " + answer.head()).isEqualTo(400);
        }
    }

    @Test
    void theUiFilterRefusesWhatTheContainerWouldRewrite() {
        // Tomcat already refuses these with 400 before any filter; the UI's own check is the second line.
        assertThat(UiPathFilter.canonical("/ui/", "/ui/")).isTrue();
        assertThat(UiPathFilter.canonical("/ui/repository", "/ui/repository")).isTrue();
        assertThat(UiPathFilter.canonical("/ui/x/../", "/ui/")).isFalse();
        assertThat(UiPathFilter.canonical("/ui/..%2Fv2", "/ui/../v2")).isFalse();
        assertThat(UiPathFilter.canonical("/ui/;a=b/", "/ui/")).isFalse();
        assertThat(UiPathFilter.canonical("/ui//", "/ui//")).isFalse();
        assertThat(UiPathFilter.canonical("/ui/./", "/ui/./")).isFalse();
    }

    @Test
    void switchedOffTheUiIsAnUnknownPath() {
        try (BerthServer off = BerthServer.startOnFilesystem(store.resolve("off"), "--berth.ui.enabled=false")) {
            for (String path : new String[] {"/", "/ui/", "/ui/repository?name=many/repo-000", "/ui/assets/ui.css"}) {
                HttpResponse<String> answer = Http.getText(off.uri(path));
                assertThat(answer.statusCode()).as(path).isEqualTo(404);
                assertThat(answer.headers().firstValue("Content-Type").orElse("")).as(path).startsWith("application/json");
            }
            assertThat(Http.getText(off.uri("/v2/")).statusCode()).isEqualTo(200);
        }
    }

    @Test
    void aVeryLongSearchIsRefused() {
        HttpResponse<String> page = Http.getText(berth.uri("/ui/?q=" + "a".repeat(5000)));
        assertThat(page.statusCode()).isEqualTo(400);
        assertThat(page.body()).contains("longer than");
    }

    @Test
    void aSearchLooksAtABoundedPartOfTheCatalog() {
        HttpResponse<String> page = Http.getText(berth.uri("/ui/?q=repo-11&n=5"));
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(rows(page.body(), "class=\"repo\"")).isEqualTo(5);
        assertThat(page.body()).contains("many/repo-110").doesNotContain("many/repo-109");
    }

    static int rows(String html, String marker) {
        int count = 0;
        for (int at = html.indexOf(marker); at >= 0; at = html.indexOf(marker, at + 1)) {
            count++;
        }
        return count;
    }
}
