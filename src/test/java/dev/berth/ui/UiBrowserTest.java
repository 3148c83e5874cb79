package dev.berth.ui;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.support.BerthServer;
import dev.berth.support.Http;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Cookie;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.springframework.security.crypto.bcrypt.BCrypt;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The web UI in a real headless Chromium against a real Berth with htpasswd sign-in and anonymous pull of
 * {@code shop/**}, holding what real clients pushed: an image the Docker Engine built from a Dockerfile, a
 * two-platform index Buildah and Podman built, and referrers attached to both (an SBOM and a signature, pushed
 * over HTTP as oras or cosign would; there is no oras here). An anonymous visitor finds the repository by
 * search, sees its stored size from a garbage collection run, opens the docker tag (layers, entrypoint, env,
 * labels from the Dockerfile) and the Podman index (its platforms, a child and that child's signature), and is
 * neither offered nor allowed a delete; a signed-in user deletes a tag. Screenshots of each page land in
 * target/ui-screenshots (in docs/ui with -Dui.screenshots=docs/ui, for docs/ui.md).
 */
@Timeout(240)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class UiBrowserTest {

    static final String PASSWORD = "correct horse battery staple";
    static final String HOST = "registry.example.com";
    static final String SIGNATURE = "application/vnd.example.signature.v1+json";
    /** Where the screenshots go: target/ by default, so a test run leaves docs/ alone; docs/ui to refresh them. */
    static final Path SCREENSHOTS = Path.of(System.getProperty("ui.screenshots", "target/ui-screenshots"));

    @TempDir
    static Path work;

    static BerthServer berth;
    static ChromeDriver browser;
    static ClientPushedImages clients;
    static ClientPushedImages.DockerPush docker;
    static UiImages.Pushed sbom;
    static String index;
    static String arm64;
    static UiImages.Pushed signature;

    @BeforeAll
    static void start() throws Exception {
        Path htpasswd = work.resolve("htpasswd");
        Files.writeString(htpasswd, "alice:" + BCrypt.hashpw(PASSWORD, BCrypt.gensalt(4)) + "\n");
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        berth = BerthServer.startOnFilesystem(work.resolve("store"), "--berth.auth.mode=htpasswd",
                "--berth.auth.htpasswd.path=" + htpasswd, "--berth.auth.anonymous-pull=shop/**",
                "--berth.ui.public-host=" + HOST, "--berth.ui.session-key=" + Base64.getEncoder().encodeToString(key),
                "--berth.uploads.purge.enabled=false");
        UiImages images = new UiImages(berth, "Basic " + Base64.getEncoder().encodeToString(("alice:" + PASSWORD)
                .getBytes(StandardCharsets.UTF_8)));
        clients = new ClientPushedImages(work, berth.hostAndPort(), "alice", PASSWORD);
        // The Docker Engine and Podman build and push side by side: the two take most of the set-up's time.
        CompletableFuture<ClientPushedImages.DockerPush> dockerPush = CompletableFuture.supplyAsync(
                () -> clients.dockerImage("shop/web", "1.0"));
        index = clients.podmanIndex("shop/web", "multi");
        docker = dockerPush.join();
        sbom = images.sbom("shop/web", new UiImages.Pushed(docker.digest(), docker.size()), mediaType("shop/web", "1.0"));
        JsonNode children = JsonMapper.builder().build().readTree(manifest("shop/web", index).body()).path("manifests");
        for (JsonNode child : children) {
            if (child.path("platform").path("architecture").asString().equals("arm64")) {
                arm64 = child.path("digest").asString();
                signature = images.referrer("shop/web", "{\"mediaType\":\"" + child.path("mediaType").asString()
                        + "\",\"digest\":\"" + arm64 + "\",\"size\":" + child.path("size").asLong() + "}", SIGNATURE,
                        "{\"critical\":{\"image\":{\"docker-manifest-digest\":\"" + arm64 + "\"}}}");
            }
        }
        assertThat(arm64).as("the arm64 image in the index Podman pushed").isNotNull();
        images.image("shop/api", "1", "amd64", 2);
        images.image("shop/worker", "1", "amd64", 3);
        images.image("team/secret", "1", "amd64", 4);
        // A collection measures each repository's size for the list (a dry run deletes nothing).
        HttpResponse<String> collected = Http.sendText("POST", berth.managementUri("/actuator/garbagecollect/dry-run"), null);
        assertThat(collected.statusCode()).as(collected.body()).isEqualTo(200);

        ChromeOptions options = new ChromeOptions();
        options.setBinary("/usr/bin/chromium");
        options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900");
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(Path.of("/usr/bin/chromedriver").toFile()).usingAnyFreePort().build();
        browser = new ChromeDriver(service, options);
        browser.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(30));
        Files.createDirectories(SCREENSHOTS);
    }

    private static HttpResponse<String> manifest(String repository, String reference) {
        HttpResponse<String> manifest = Http.sendText("GET", berth.uri("/v2/" + repository + "/manifests/" + reference),
                null, "Accept", String.join(",", UiImages.OCI_MANIFEST, UiImages.OCI_INDEX,
                        "application/vnd.docker.distribution.manifest.v2+json",
                        "application/vnd.docker.distribution.manifest.list.v2+json"));
        assertThat(manifest.statusCode()).as(manifest.body()).isEqualTo(200);
        return manifest;
    }

    private static String mediaType(String repository, String reference) {
        return manifest(repository, reference).headers().firstValue("Content-Type").orElseThrow();
    }

    @AfterAll
    static void stop() {
        if (browser != null) {
            browser.quit();
        }
        if (clients != null) {
            clients.close();
        }
        if (berth != null) {
            berth.close();
        }
    }

    @Test
    @Order(1)
    void anAnonymousVisitorFindsARepositoryAndItsImages() throws Exception {
        open("/ui/");
        assertThat(texts(".repo")).containsExactly("shop/api", "shop/web", "shop/worker");
        browser.findElement(By.id("q")).sendKeys("we");
        Navigation.clickThrough(browser, browser.findElement(By.cssSelector("form.search button")));
        assertThat(texts(".repo")).containsExactly("shop/web");
        assertThat(texts("td.size")).singleElement().asString().as("the size the collection measured")
                .matches("(?s)\\d+(\\.\\d)? (KiB|MiB)\\s+\\(as of \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC\\)");
        screenshot("repositories");
        Navigation.clickThrough(browser, browser.findElement(By.linkText("shop/web")));

        assertThat(browser.findElement(By.tagName("h1")).getText()).isEqualTo("shop/web");
        WebElement multi = browser.findElement(By.id("tag-multi"));
        assertThat(multi.findElements(By.cssSelector(".platform")).stream().map(WebElement::getText))
                .as("the platforms of the index Podman pushed").containsExactlyInAnyOrder("linux/amd64", "linux/arm64")
                .doesNotContain("unknown/unknown");
        WebElement release = browser.findElement(By.id("tag-1.0"));
        WebElement command = release.findElement(By.cssSelector(".command"));
        assertThat(command.getDomAttribute("value")).isEqualTo("docker pull " + HOST + "/shop/web:1.0");
        assertThat(release.getText()).as("the creation time Docker gave the image").contains(docker.created())
                .contains(docker.digest());
        assertThat(browser.findElements(By.partialLinkText("Delete"))).as("delete offered to a visitor").isEmpty();
        release.findElement(By.cssSelector(".copy")).click();
        JavascriptExecutor js = browser;
        assertThat(js.executeScript("return document.body.dataset.copied")).isEqualTo("docker pull " + HOST + "/shop/web:1.0");
        assertThat(js.executeScript("var e = document.activeElement; return e.value.substring(e.selectionStart, e.selectionEnd)"))
                .as("the command is selected for copying").isEqualTo("docker pull " + HOST + "/shop/web:1.0");
        screenshot("repository");

        Navigation.clickThrough(browser, release.findElement(By.linkText("1.0")));
        assertThat(browser.findElement(By.tagName("h1")).getText()).contains(docker.digest());
        assertThat(texts(".artifact")).containsExactly("application/spdx+json");
        assertThat(fact("Entrypoint")).isEqualTo("[/app]");
        assertThat(fact("Cmd")).isEqualTo("[--serve]");
        assertThat(fact("Env")).as("the Dockerfile's ENV").contains(ClientPushedImages.GREETING);
        assertThat(fact("Labels")).as("the Dockerfile's LABEL").isEqualTo(ClientPushedImages.SOURCE_LABEL);
        assertThat(texts(".history code")).as("the Dockerfile's steps, as docker build recorded them")
                .anySatisfy(step -> assertThat(step).contains("COPY file:").contains(" in /app"))
                .anySatisfy(step -> assertThat(step).contains("ENTRYPOINT [\"/app\"]"));
        List<String> pushedLayers = new java.util.ArrayList<>();
        for (JsonNode layer : JsonMapper.builder().build().readTree(manifest("shop/web", "1.0").body()).path("layers")) {
            pushedLayers.add((pushedLayers.size() + 1) + " " + layer.path("digest").asString() + " "
                    + layer.path("mediaType").asString() + " " + layer.path("size").asLong() + " B");
        }
        assertThat(layers()).as("the two COPY layers docker pushed, in order, with their sizes").hasSize(2)
                .isEqualTo(pushedLayers);
        screenshot("image");
        Navigation.clickThrough(browser, browser.findElement(By.partialLinkText(sbom.digest())));
        assertThat(browser.findElement(By.tagName("main")).getText()).contains("application/spdx+json")
                .contains(docker.digest());

        open("/ui/repository?name=shop/web");
        Navigation.clickThrough(browser, browser.findElement(By.linkText("multi")));
        assertThat(browser.findElement(By.tagName("h1")).getText()).contains(index);
        assertThat(texts("td.platform")).containsExactlyInAnyOrder("linux/amd64", "linux/arm64");
        screenshot("index");
        Navigation.clickThrough(browser, browser.findElement(By.partialLinkText(arm64)));
        assertThat(browser.findElement(By.tagName("main")).getText()).contains("linux/arm64").contains("[/app]");
        assertThat(texts(".artifact")).as("the signature attached to the arm64 image").containsExactly(SIGNATURE);
        Navigation.clickThrough(browser, browser.findElement(By.partialLinkText(signature.digest())));
        assertThat(browser.findElement(By.tagName("main")).getText()).contains(SIGNATURE).contains(arm64);
    }

    /** The text of the page's fact {@code name} (a {@code dd} after its {@code dt}). */
    private static String fact(String name) {
        return browser.findElement(By.xpath("//dt[text()='" + name + "']/following-sibling::dd[1]")).getText();
    }

    /** The rows of the image page's layer table, as text. */
    private static List<String> layers() {
        WebElement heading = browser.findElement(By.xpath("//h2[text()='Layers']"));
        return heading.findElements(By.xpath("following-sibling::table[1]/tbody/tr")).stream()
                .map(WebElement::getText).toList();
    }

    @Test
    @Order(2)
    void aVisitorCannotDelete() {
        HttpResponse<String> forged = postForm("/ui/delete", "name=shop/web&reference=1.0&token=forged", null);
        assertThat(forged.statusCode()).isEqualTo(403);
        assertThat(Http.getText(berth.uri("/v2/shop/web/manifests/1.0")).statusCode()).isEqualTo(200);
        assertThat(Http.getText(berth.uri("/ui/delete?name=shop/web&reference=1.0")).statusCode()).isEqualTo(403);
        assertThat(Http.getText(berth.uri("/ui/repository?name=team/secret")).statusCode()).isEqualTo(404);
    }

    @Test
    @Order(3)
    void aSignedInUserDeletesATag() {
        open("/ui/login");
        signIn("wrong password");
        assertThat(browser.findElement(By.cssSelector("[role=alert]")).getText()).contains("wrong password");
        screenshot("login");
        signIn(PASSWORD);
        assertThat(browser.findElement(By.cssSelector(".who")).getText()).contains("alice");
        assertThat(texts(".repo")).contains("team/secret");
        Cookie session = browser.manage().getCookieNamed(UiSessions.COOKIE);
        assertThat(session.isHttpOnly()).isTrue();
        assertThat(session.getPath()).isEqualTo("/ui/");
        String[] parts = session.getValue().split("\\.");
        assertThat(Http.sendText("GET", berth.uri("/ui/"), null, "Cookie", UiSessions.COOKIE + "=" + session.getValue())
                .body()).contains("team/secret");
        String extended = parts[0] + "." + (Long.parseLong(parts[1]) + 86_400) + "." + parts[2];
        assertThat(Http.sendText("GET", berth.uri("/ui/"), null, "Cookie", UiSessions.COOKIE + "=" + extended)
                .body()).as("a cookie whose expiry was moved").doesNotContain("team/secret").contains("Sign in");

        open("/ui/repository?name=shop/web");
        Navigation.clickThrough(browser, browser.findElement(By.id("tag-1.0")).findElement(By.partialLinkText("Delete")));
        screenshot("delete");
        String token = browser.findElement(By.name("token")).getDomAttribute("value");
        String cookie = UiSessions.COOKIE + "=" + session.getValue();
        assertThat(postForm("/ui/delete", "name=shop/web&reference=1.0&token=forged", cookie).statusCode())
                .as("a forged token").isEqualTo(403);
        assertThat(postForm("/ui/delete", "name=shop/web&reference=1.0&token=" + enc(token), cookie,
                "Sec-Fetch-Site", "cross-site").statusCode()).as("the right token posted by another site").isEqualTo(403);
        assertThat(postForm("/ui/delete", "name=shop/web&reference=multi&token=" + enc(token), cookie).statusCode())
                .as("a token for another tag").isEqualTo(403);
        assertThat(Http.getText(berth.uri("/v2/shop/web/manifests/1.0")).statusCode()).isEqualTo(200);

        Navigation.clickThrough(browser, browser.findElement(By.id("confirm-delete")));
        assertThat(browser.findElement(By.cssSelector("[role=status]")).getText()).isEqualTo("Deleted 1.0.");
        assertThat(browser.findElements(By.id("tag-1.0"))).isEmpty();
        assertThat(Http.getText(berth.uri("/v2/shop/web/manifests/1.0")).statusCode()).isEqualTo(404);
        assertThat(Http.getText(berth.uri("/v2/shop/web/manifests/multi")).statusCode()).isEqualTo(200);

        open("/ui/operations");
        assertThat(browser.findElement(By.tagName("main")).getText()).contains("filesystem").contains("htpasswd");
        screenshot("operations");
        browser.manage().window().setSize(new Dimension(390, 844));
        open("/ui/repository?name=shop/web");
        screenshot("repository-phone");
        browser.manage().window().setSize(new Dimension(1280, 900));

        browser.executeCdpCommand("Emulation.setEmulatedMedia", Map.of("features",
                List.of(Map.of("name", "prefers-color-scheme", "value", "dark"))));
        open("/ui/image?name=shop/web&digest=" + index);
        assertThat(browser.findElement(By.tagName("body")).getCssValue("background-color"))
                .as("dark background when the system prefers it").isEqualTo("rgba(13, 17, 23, 1)");
        screenshot("index-dark");
    }

    private void signIn(String password) {
        browser.findElement(By.id("username")).sendKeys("alice");
        browser.findElement(By.id("password")).sendKeys(password);
        Navigation.clickThrough(browser, browser.findElement(By.cssSelector("main form button")));
    }

    private static HttpResponse<String> postForm(String path, String form, String cookie, String... headers) {
        List<String> all = new java.util.ArrayList<>(List.of("Content-Type", "application/x-www-form-urlencoded"));
        if (cookie != null) {
            all.addAll(List.of("Cookie", cookie));
        }
        all.addAll(List.of(headers));
        return Http.sendText("POST", berth.uri(path), form.getBytes(StandardCharsets.UTF_8), all.toArray(String[]::new));
    }

    private static String enc(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    private static void open(String path) {
        browser.get(berth.uri(path).toString());
    }

    private static List<String> texts(String css) {
        return browser.findElements(By.cssSelector(css)).stream().map(WebElement::getText).toList();
    }

    private static void screenshot(String name) {
        try {
            Files.createDirectories(SCREENSHOTS);
            Files.copy(browser.getScreenshotAs(OutputType.FILE).toPath(), SCREENSHOTS.resolve(name + ".png"),
                    StandardCopyOption.REPLACE_EXISTING);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
