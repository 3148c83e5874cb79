package dev.berth.ui;

import java.time.Duration;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Clicks that load another page. A click may return before the page it leads to has loaded (a form's POST
 * answered with a redirect, on a busy machine), and a lookup right after it would search the old page; so
 * each waits for the clicked element's page to go and the next to be complete.
 */
final class Navigation {

    private static final Duration PAGE_LOAD = Duration.ofSeconds(30);

    private Navigation() {
    }

    static void clickThrough(WebDriver browser, WebElement element) {
        element.click();
        WebDriverWait wait = new WebDriverWait(browser, PAGE_LOAD);
        wait.until(ExpectedConditions.stalenessOf(element));
        wait.until(page -> "complete".equals(((JavascriptExecutor) page).executeScript("return document.readyState")));
    }
}
