package dev.berth.ui;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.support.BerthServer;
import dev.berth.support.Http;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.springframework.security.crypto.bcrypt.BCrypt;

/**
 * The web UI in headless Chromium with {@code berth.auth.htpasswd.access} rules: a user who may pull
 * everything but delete only in {@code scratch/**} signs in, is offered no delete where the API would refuse
 * one, and a delete posted by hand with their sign-in is refused. The same decision the API filter asks.
 */
@Timeout(180)
class UiRightsBrowserTest {

    static final String ADMIN = "Basic " + Base64.getEncoder().encodeToString("admin:admin-pw".getBytes(StandardCharsets.UTF_8));

    @TempDir
    static Path work;

    static BerthServer berth;
    static ChromeDriver browser;
    static UiImages.Pushed release;

    @BeforeAll
    static void start() throws Exception {
        Path htpasswd = work.resolve("htpasswd");
        Files.writeString(htpasswd, "dev:" + BCrypt.hashpw("dev-pw", BCrypt.gensalt(4)) + "\nadmin:"
                + BCrypt.hashpw("admin-pw", BCrypt.gensalt(4)) + "\n");
        berth = BerthServer.startOnFilesystem(work.resolve("store"), "--berth.auth.mode=htpasswd",
                "--berth.auth.htpasswd.path=" + htpasswd,
                "--berth.auth.htpasswd.access[0].repositories=**",
                "--berth.auth.htpasswd.access[0].users=dev",
                "--berth.auth.htpasswd.access[0].actions=pull",
                "--berth.auth.htpasswd.access[1].repositories=scratch/**",
                "--berth.auth.htpasswd.access[1].users=dev",
                "--berth.auth.htpasswd.access[1].actions=delete",
                "--berth.auth.htpasswd.access[2].repositories=**",
                "--berth.auth.htpasswd.access[2].users=admin",
                "--berth.auth.htpasswd.access[2].actions=*");
        UiImages images = new UiImages(berth, ADMIN);
        release = images.image("shop/web", "1.0", "amd64", 1);
        images.image("scratch/tmp", "1", "amd64", 2);

        ChromeOptions options = new ChromeOptions();
        options.setBinary("/usr/bin/chromium");
        options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900");
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(Path.of("/usr/bin/chromedriver").toFile()).usingAnyFreePort().build();
        browser = new ChromeDriver(service, options);
        browser.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(30));
    }

    @AfterAll
    static void stop() {
        if (browser != null) {
            browser.quit();
        }
        if (berth != null) {
            berth.close();
        }
    }

    @Test
    void aUserWhoMayPullButNotDeleteSeesNoDeleteAndCannotPostOne() {
        open("/ui/login");
        browser.findElement(By.id("username")).sendKeys("dev");
        browser.findElement(By.id("password")).sendKeys("dev-pw");
        Navigation.clickThrough(browser, browser.findElement(By.cssSelector("main form button")));
        assertThat(browser.findElement(By.cssSelector(".who")).getText()).contains("dev");

        // Where dev may delete, the button is there: its absence below is the rights, not the page.
        open("/ui/repository?name=scratch/tmp");
        assertThat(browser.findElements(By.partialLinkText("Delete"))).as("delete offered in scratch/tmp").isNotEmpty();

        open("/ui/repository?name=shop/web");
        assertThat(browser.findElement(By.tagName("h1")).getText()).isEqualTo("shop/web");
        assertThat(browser.findElements(By.partialLinkText("Delete"))).as("delete offered in shop/web").isEmpty();
        Navigation.clickThrough(browser, browser.findElement(By.id("tag-1.0")).findElement(By.linkText("1.0")));
        assertThat(browser.findElement(By.tagName("main")).getText()).contains(release.digest());
        assertThat(browser.findElements(By.partialLinkText("Delete"))).as("delete offered on the manifest").isEmpty();

        String cookie = UiSessions.COOKIE + "=" + browser.manage().getCookieNamed(UiSessions.COOKIE).getValue();
        HttpResponse<String> confirm = Http.sendText("GET", berth.uri("/ui/delete?name=shop/web&reference=1.0"), null,
                "Cookie", cookie);
        assertThat(confirm.statusCode()).isEqualTo(403);
        for (String reference : new String[] {"1.0", release.digest()}) {
            HttpResponse<String> forged = Http.sendText("POST", berth.uri("/ui/delete"), ("name=shop/web&reference="
                    + reference + "&token=forged").getBytes(StandardCharsets.UTF_8), "Content-Type",
                    "application/x-www-form-urlencoded", "Cookie", cookie);
            assertThat(forged.statusCode()).as("a delete of %s posted by hand", reference).isEqualTo(403);
            assertThat(forged.body()).contains("you may not delete in shop/web");
        }
        assertThat(Http.sendText("GET", berth.uri("/v2/shop/web/manifests/1.0"), null, "Authorization", ADMIN)
                .statusCode()).isEqualTo(200);
    }

    private static void open(String path) {
        URI uri = berth.uri(path);
        browser.get(uri.toString());
    }
}
