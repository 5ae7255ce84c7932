package org.qaembeddings.system;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.logging.Level;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.qaembeddings.cost.CallPurpose;
import org.qaembeddings.cost.CostService;
import org.qaembeddings.embedding.EmbeddingWorker;
import org.qaembeddings.support.Api;
import org.qaembeddings.support.DatabaseTest;
import org.qaembeddings.support.FakeOpenAiServer;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.TestPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * The dashboard in a real browser: Debian's chromium, headless, driven through chromium-driver.
 * The service holds pairs in every state, costs over several days, and keys; the numbers on the
 * page must be the API's. Each test leaves a screenshot under {@code target/screenshots}.
 */
@Tag("browser")
@Tag("single-database")
@TestPropertySource(
        properties = {
            "embedding.worker-enabled=false",
            "embedding.health.stats-cache-ttl=0s",
            "security.api-key=" + DashboardBrowserTest.CLIENT,
            "security.admin-key=" + DashboardBrowserTest.ADMIN
        })
class DashboardBrowserTest extends DatabaseTest {

    static final String CLIENT = "client-key-dashboard-0123456789";
    static final String ADMIN = "admin-key-dashboard-0123456789";
    private static final Duration WAIT = Duration.ofSeconds(15);
    private static final Path SCREENSHOTS = Path.of("target", "screenshots");

    private static ChromeDriver browser;

    @Autowired
    EmbeddingWorker worker;

    @Autowired
    CostService costs;

    @BeforeAll
    static void startBrowser() {
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(Path.of("/usr/bin/chromedriver").toFile())
                .build();
        ChromeOptions options = new ChromeOptions();
        options.setBinary("/usr/bin/chromium");
        options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1600");
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL);
        options.setCapability("goog:loggingPrefs", logs);
        browser = new ChromeDriver(service, options);
    }

    @AfterAll
    static void stopBrowser() {
        if (browser != null) {
            browser.quit();
        }
    }

    @BeforeEach
    void pairsInEveryStateAndCostsOverSeveralDays() {
        // completed
        for (int i = 0; i < 3; i++) {
            create("Completed pair " + i + "?", "Yes " + i + ".");
        }
        worker.pollOnce();
        // failed: one that will be retried (a garbled answer to its text alone), then a dead letter
        // (the provider refuses its text; sent apart from the good pair beside it)
        create("Garbled pair?", "GARBLED answer");
        OPENAI.behave(request -> request.inputs().stream().anyMatch(t -> t.contains("GARBLED"))
                ? FakeOpenAiServer.Reply.json(200, "{\"data\": \"garbled\"}")
                : OPENAI.vectors(request));
        worker.pollOnce();
        create("Refused pair?", "REJECTED text");
        create("Completed beside it?", "Yes.");
        OPENAI.behave(request -> request.inputs().stream().anyMatch(t -> t.contains("REJECTED"))
                ? FakeOpenAiServer.Reply.json(400, "{\"error\": {\"message\": \"input rejected\"}}")
                : OPENAI.vectors(request));
        worker.pollOnce();
        OPENAI.reset();
        // pending: saved, not yet polled
        create("Pending pair one?", "Waiting.");
        create("Pending pair two?", "Waiting too.");
        // costs on several days and two models, besides the calls just made
        Instant now = Instant.now();
        costs.record(
                "text-embedding-3-small",
                "text-embedding-3-small",
                CallPurpose.DOCUMENT,
                120_000,
                40,
                now.minus(Duration.ofDays(1)));
        costs.record(
                "text-embedding-3-small",
                "text-embedding-3-small",
                CallPurpose.QUERY,
                3_000,
                30,
                now.minus(Duration.ofDays(1)));
        costs.record(
                "text-embedding-3-large",
                "text-embedding-3-large",
                CallPurpose.DOCUMENT,
                50_000,
                20,
                now.minus(Duration.ofDays(3)));
        costs.record(
                "text-embedding-3-small",
                "text-embedding-3-small",
                CallPurpose.DOCUMENT,
                900_000,
                300,
                now.minus(Duration.ofDays(12)));
    }

    @AfterEach
    void screenshotAndNoConsoleErrors(TestInfo test) throws IOException {
        Files.createDirectories(SCREENSHOTS);
        Path shot = browser.getScreenshotAs(OutputType.FILE).toPath();
        Files.copy(
                shot,
                SCREENSHOTS.resolve(test.getTestMethod().orElseThrow().getName() + ".png"),
                StandardCopyOption.REPLACE_EXISTING);
        List<String> errors = new ArrayList<>();
        for (LogEntry entry : browser.manage().logs().get(LogType.BROWSER)) {
            if (entry.getLevel().intValue() >= Level.SEVERE.intValue()) {
                errors.add(entry.getMessage());
            }
        }
        assertThat(errors).as("the browser console").isEmpty();
        browser.manage().window().setSize(new Dimension(1280, 1600));
    }

    private void create(String question, String answer) {
        assertThat(api.call("POST", "/api/qa-pairs", ADMIN, Api.pairJson(question, answer))
                        .status())
                .isEqualTo(201);
    }

    private JsonNode apiAsAdmin(String path) {
        Api.Response response = api.call("GET", path, ADMIN, null);
        assertThat(response.status()).as(path).isEqualTo(200);
        return response.json();
    }

    /** Opens the page with no key in this tab, enters {@code key}, and waits until the pipeline's figures are in. */
    private void openWith(String key) {
        browser.get("http://127.0.0.1:" + port + "/");
        ((JavascriptExecutor) browser).executeScript("sessionStorage.clear()");
        browser.navigate().refresh();
        WebElement input = waitFor(By.id("key-input"));
        input.sendKeys(key);
        browser.findElement(By.cssSelector("#key-form button[type=submit]")).click();
        if (key.equals(CLIENT) || key.equals(ADMIN)) {
            awaitFigure("pendingCount");
        }
        assertThat(browser.getCurrentUrl()).as("no key in the address").doesNotContain(key);
    }

    /** Waits until a figure has been filled in by the page. */
    private void awaitFigure(String name) {
        new WebDriverWait(browser, WAIT).until(d -> {
            String value = figure(name).getDomAttribute("data-value");
            return value != null && !value.isEmpty();
        });
    }

    private WebElement waitFor(By by) {
        return new WebDriverWait(browser, WAIT).until(ExpectedConditions.visibilityOfElementLocated(by));
    }

    private WebElement figure(String name) {
        return browser.findElement(By.cssSelector("[data-figure='" + name + "']"));
    }

    @Test
    void pipelineFiguresEqualTheApis() {
        openWith(ADMIN);
        JsonNode stats = apiAsAdmin("/api/embeddings/health");
        assertThat(stats.path("pendingCount").asLong()).isEqualTo(2);
        assertThat(stats.path("failedCount").asLong()).isEqualTo(2);
        assertThat(stats.path("deadLetterCount").asLong()).isEqualTo(1);
        for (String name :
                List.of("pendingCount", "processingCount", "completedCount", "failedCount", "deadLetterCount")) {
            assertThat(figure(name).getText().replace(",", ""))
                    .as(name)
                    .isEqualTo(stats.path(name).asString());
        }
        assertThat(figure("successRate").getText())
                .isEqualTo(String.format(
                        Locale.ROOT, "%.1f %%", stats.path("successRate").asDouble() * 100));
        assertThat(figure("circuitState").getText())
                .isEqualTo(stats.path("circuitState").asString())
                .isEqualTo("CLOSED");
        assertThat(figure("oldestPendingAgeSeconds").getText()).endsWith(" s");
    }

    @Test
    void spendChartAndTableEqualTheCostReport() {
        openWith(ADMIN);
        waitFor(By.id("spend-chart"));
        JsonNode report = apiAsAdmin("/api/embeddings/costs?zone=UTC");
        awaitFigure("totalUsd");
        assertThat(new BigDecimal(figure("totalUsd").getDomAttribute("data-value")))
                .isEqualByComparingTo(report.path("total").path("costUsd").decimalValue());

        // per day and model, purposes added up: the bars and the table say the same as the report
        Map<String, BigDecimal> expected = new HashMap<>();
        report.path("days")
                .forEach(line -> expected.merge(
                        line.path("day").asString() + " " + line.path("model").asString(),
                        line.path("costUsd").decimalValue(),
                        BigDecimal::add));
        assertThat(expected).containsKey(LocalDate.now(ZoneOffset.UTC).minusDays(12) + " text-embedding-3-small");
        Map<String, BigDecimal> bars = new HashMap<>();
        for (WebElement bar : browser.findElements(By.cssSelector("#spend-chart rect[data-day]"))) {
            bars.put(
                    bar.getDomAttribute("data-day") + " " + bar.getDomAttribute("data-model"),
                    new BigDecimal(bar.getDomAttribute("data-usd")));
        }
        assertThat(bars.keySet()).isEqualTo(expected.keySet());
        expected.forEach((line, usd) ->
                assertThat(bars.get(line).doubleValue()).as(line).isCloseTo(usd.doubleValue(), offset(1e-9)));
        assertThat(browser.findElements(By.cssSelector("#spend-table tbody tr")))
                .hasSize(expected.size());
        assertThat(browser.findElements(By.cssSelector("#spend-legend li")).stream()
                        .map(WebElement::getText))
                .containsExactlyInAnyOrder(report.path("days")
                        .valueStream()
                        .map(l -> l.path("model").asString())
                        .distinct()
                        .toArray(String[]::new));
    }

    @Test
    void retryChangesARow() {
        openWith(ADMIN);
        WebElement table = waitFor(By.id("failures-table"));
        new WebDriverWait(browser, WAIT)
                .until(d -> table.findElements(By.cssSelector("tbody tr")).size() == 2);
        // newest first, as the API lists them
        List<String> listed = table.findElements(By.cssSelector("tbody tr")).stream()
                .map(r -> r.getDomAttribute("data-id"))
                .toList();
        List<String> fromApi = apiAsAdmin("/api/embeddings/failed?newestFirst=true")
                .path("items")
                .valueStream()
                .map(i -> i.path("qaPairId").asString())
                .toList();
        assertThat(listed).isEqualTo(fromApi);

        // the provider answers again: Retry on the retryable row embeds it
        WebElement garbled = table.findElements(By.cssSelector("tbody tr")).stream()
                .filter(r -> r.getText().contains("Garbled pair?"))
                .findFirst()
                .orElseThrow();
        String id = garbled.getDomAttribute("data-id");
        garbled.findElement(By.tagName("button")).click();
        WebElement result = browser.findElement(By.id("retry-result"));
        new WebDriverWait(browser, WAIT).until(d -> result.getText().startsWith("1 embedded"));
        assertThat(result.getText()).isEqualTo("1 embedded, 0 failed");
        assertThat(apiAsAdmin("/api/qa-pairs/" + id + "/embedding")
                        .path("status")
                        .asString())
                .isEqualTo("COMPLETED");
        new WebDriverWait(browser, WAIT)
                .until(d -> table.findElements(By.cssSelector("tbody tr")).size() == 1);
        new WebDriverWait(browser, WAIT)
                .until(d -> figure("failedCount").getText().equals("1"));
    }

    @Test
    void clientKeySeesNoAdminPanels() {
        openWith(CLIENT);
        waitFor(By.id("search-q"));
        assertThat(browser.findElements(By.id("spend-chart"))).isEmpty();
        assertThat(browser.findElements(By.id("failures-table"))).isEmpty();
        assertThat(browser.findElements(By.id("reembed-progress"))).isEmpty();
        assertThat(figure("completedCount").getText()).isEqualTo("4");

        // the client may search: a saved pair is found by its words
        browser.findElement(By.id("search-q")).sendKeys("Garbled pair");
        new Select(browser.findElement(By.id("search-mode"))).selectByValue("keyword");
        browser.findElement(By.cssSelector("#search-form button")).click();
        new WebDriverWait(browser, WAIT)
                .until(d -> !d.findElements(By.cssSelector("#search-hits li")).isEmpty());
        assertThat(browser.findElement(By.cssSelector("#search-hits li strong")).getText())
                .isEqualTo("Garbled pair?");
    }

    @Test
    void wrongKeyGetsAClearMessage() {
        openWith("not-a-key-of-this-service");
        WebElement message = waitFor(By.id("message"));
        assertThat(message.getText()).isEqualTo("That key is not valid.");
        assertThat(browser.findElement(By.id("key-form")).isDisplayed()).isTrue();
        assertThat(browser.findElements(By.cssSelector("#panels section"))).isEmpty();
        assertThat((String) ((JavascriptExecutor) browser)
                        .executeScript("return sessionStorage.getItem('qa-embeddings.key')"))
                .as("a refused key is not kept")
                .isNull();
    }

    @Test
    void swaggerUiLoadsTheDocumentWithTheDashboardsKey() {
        openWith(CLIENT);
        browser.findElement(By.linkText("API (Swagger UI)")).click();
        int operations = 0;
        for (JsonNode path : apiAsAdmin("/v3/api-docs").path("paths")) {
            operations += path.size();
        }
        int expected = operations;
        new WebDriverWait(browser, WAIT)
                .until(d -> d.findElements(By.cssSelector(".opblock")).size() == expected);
        assertThat(browser.findElements(By.cssSelector(".opblock-summary-path")).stream()
                        .map(WebElement::getText))
                .contains("/api/search", "/api/embeddings/budget");
        assertThat(browser.getCurrentUrl()).doesNotContain(CLIENT);
    }

    @Test
    void everyControlHasALabelAndIsReachedByKeyboard() {
        openWith(ADMIN);
        waitFor(By.id("failures-table"));
        waitFor(By.id("search-q"));
        for (WebElement control : browser.findElements(By.cssSelector("input, select"))) {
            if (!control.isDisplayed()) {
                continue;
            }
            String id = control.getDomAttribute("id");
            boolean labelled = control.getDomAttribute("aria-label") != null
                    || id != null
                            && !browser.findElements(By.cssSelector("label[for='" + id + "']"))
                                    .isEmpty();
            assertThat(labelled)
                    .as("a label for " + control.getTagName() + " #" + id)
                    .isTrue();
        }
        for (WebElement button : browser.findElements(By.tagName("button"))) {
            if (button.isDisplayed()) {
                assertThat(button.getText().isBlank() && button.getDomAttribute("aria-label") == null)
                        .as("a button with no name")
                        .isFalse();
            }
        }
        // Tab from the top reaches the Retry buttons: nothing needs a mouse
        List<String> reached = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            new Actions(browser).sendKeys(Keys.TAB).perform();
            WebElement focused = browser.switchTo().activeElement();
            reached.add(focused.getTagName() + ":" + focused.getText());
        }
        assertThat(reached).anyMatch(r -> r.equals("button:Retry all failed")).anyMatch(r -> r.equals("button:Retry"));
    }

    @Test
    void readableOnAPhone() {
        browser.manage().window().setSize(new Dimension(390, 844));
        openWith(ADMIN);
        waitFor(By.id("failures-table"));
        Long overflow = (Long) ((JavascriptExecutor) browser)
                .executeScript("return document.documentElement.scrollWidth - document.documentElement.clientWidth");
        assertThat(overflow).as("no sideways scrolling").isLessThanOrEqualTo(0L);
    }
}
