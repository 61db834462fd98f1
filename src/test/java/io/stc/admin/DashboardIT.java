package io.stc.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.microsoft.playwright.Browser;
import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.BrowserType;
import com.microsoft.playwright.Locator;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Playwright;
import com.microsoft.playwright.Request;
import com.microsoft.playwright.assertions.LocatorAssertions;
import com.microsoft.playwright.assertions.PlaywrightAssertions;
import io.stc.backend.BackendOptions;
import io.stc.backend.DemoBackend;
import io.stc.config.AutoscaleConfig;
import io.stc.config.ConfigLoader;
import io.stc.config.StcConfig;
import io.stc.testing.TcpRelay;
import io.stc.testing.TestCluster;
import io.stc.traffic.LoadGenerator;
import io.stc.traffic.LoadOptions;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The web dashboard in a real browser (the system's Chromium, headless, driven by Playwright)
 * against a real stc with demo backends: what an operator sees and does.
 */
class DashboardIT {
  static final Path CHROMIUM = Path.of(System.getProperty("stc.chromium", "/usr/bin/chromium"));
  static final List<String> CHROMIUM_ARGS = List.of(
      "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
      "--disable-sync", "--no-first-run");
  static final long PAGE_BUDGET_BYTES = 300 * 1024;
  static Playwright playwright;
  static Browser browser;
  @TempDir Path dir;

  @BeforeAll
  static void launch() {
    assertThat(CHROMIUM).as("DashboardIT drives the system's Chromium (apt-get install chromium), or -Dstc.chromium=PATH")
        .isExecutable();
    playwright = Playwright.create(new Playwright.CreateOptions().setEnv(Map.of("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")));
    browser = playwright.chromium().launch(
        new BrowserType.LaunchOptions().setExecutablePath(CHROMIUM).setHeadless(true).setArgs(CHROMIUM_ARGS));
    // A loaded two-core machine: health checks, snapshots and the browser all share it.
    PlaywrightAssertions.setDefaultAssertionTimeout(30_000);
  }

  @AfterAll
  static void close() {
    if (browser != null) {
      browser.close();
    }
    if (playwright != null) {
      playwright.close();
    }
  }

  static LocatorAssertions expect(Locator l) {
    return PlaywrightAssertions.assertThat(l);
  }

  static Locator row(Page page, String id) {
    return page.locator("#backends tbody tr[data-backend='" + id + "']");
  }

  static String adminUrl(TestCluster cluster, String path) {
    return "http://127.0.0.1:" + cluster.stc.adminPort() + path;
  }

  @Test
  void followsTheClusterLiveAndChangesIt() throws Exception {
    List<BackendOptions> options = List.of(
        BackendOptions.defaults().withName("b0").withDelay(0.004, 0.002),
        BackendOptions.defaults().withName("b1").withDelay(0.008, 0.004),
        BackendOptions.defaults().withName("b2").withDelay(0.002, 0.001).withErrorRate(0.02));
    DemoBackend extra = DemoBackend.started(BackendOptions.defaults().withName("b3"));
    try (TestCluster cluster = TestCluster.of(options, UnaryOperator.identity());
        BrowserContext context = browser.newContext(new Browser.NewContextOptions().setViewportSize(1400, 900))) {
      Page page = context.newPage();
      List<Request> finished = new CopyOnWriteArrayList<>();
      List<String> problems = new CopyOnWriteArrayList<>();
      page.onRequestFinished(finished::add);
      page.onPageError(problems::add);
      page.onConsoleMessage(m -> {
        // The one refusal the test provokes on purpose (the bad host) is logged by the browser as a failed load.
        if (m.type().equals("error") && !m.text().contains("status of 400")) {
          problems.add(m.text());
        }
      });
      page.navigate(adminUrl(cluster, "/"));

      // Three backends, all UP, and the stream is live.
      expect(page.locator("#backends tbody tr[data-backend]")).hasCount(3);
      for (int i = 0; i < 3; i++) {
        expect(row(page, cluster.id(i)).getByTestId("state")).hasText("UP");
      }
      expect(page.getByTestId("backends-healthy")).hasText("3 / 3");
      expect(page.getByTestId("connection")).hasAttribute("data-state", "live");
      expect(page.getByTestId("algorithm")).hasText("round_robin");
      expect(page.getByTestId("autoscaler")).hasText("off");

      // Everything the page loaded (the event stream is data, not page weight) fits the budget.
      long transferred = 0;
      int files = 0;
      for (Request r : finished) {
        String path = URI.create(r.url()).getPath();
        if (path.equals("/") || path.startsWith("/assets/")) {
          transferred += r.sizes().responseBodySize;
          files++;
        }
      }
      System.out.printf("dashboard: %d files, %.1f KiB transferred%n", files, transferred / 1024.0);
      assertThat(files).isEqualTo(Dashboard.OWN_FILES.length + 1);
      assertThat(transferred).isPositive().isLessThan(PAGE_BUDGET_BYTES);

      LoadGenerator load = new LoadGenerator(LoadOptions.builder("http://127.0.0.1:" + cluster.stc.port() + "/shop/cart")
          .rate(60).duration(Duration.ofSeconds(120)).connections(4).threads(1).build());
      CompletableFuture<Void> traffic = CompletableFuture.runAsync(() -> {
        try {
          load.run();
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      });
      try {
        // Counters and charts follow the traffic.
        expect(page.getByTestId("rps")).not().hasText(Pattern.compile("^(—|0\\.0)$"));
        for (int i = 0; i < 3; i++) {
          expect(row(page, cluster.id(i)).locator("td[data-label=Requests]")).not().hasText("0");
        }
        expect(page.getByTestId("success-sub")).hasText(Pattern.compile("^[1-9][\\d,]* requests"));
        page.waitForFunction("() => {"
            + " const c = Chart.getChart(document.querySelector('#chart-rps canvas'));"
            + " return c && c.data.datasets.length === 3 && c.data.datasets.every(d => d.data.some(p => p.y > 0)); }");
        page.waitForFunction("() => Chart.getChart(document.querySelector('#chart-latency canvas'))"
            + ".data.datasets[1].data.some(p => p.y > 0)");
        expect(page.locator("#requests tbody tr td[data-label=Path]").first()).hasText("/shop/cart");

        // Adding a backend: the form checks what it can, then shows the API's own refusal.
        Locator form = page.locator("#add-backend");
        form.locator("input[name=host]").fill("127.0.0.1");
        form.locator("input[name=port]").fill("70000");
        form.locator("button[type=submit]").click();
        expect(form.locator(".field-error[data-for=port]")).hasText("a port from 1 to 65535");
        form.locator("input[name=host]").fill("not a host!");
        form.locator("input[name=port]").fill(String.valueOf(extra.port()));
        form.locator("button[type=submit]").click();
        expect(form.locator(".field-error[data-for=host]")).containsText("'host' must be a host name or IP address");
        expect(page.locator(".toast.error").last()).containsText("'host' must be");
        // A Unix socket's path in the host field: no port, and the API's word on the path.
        form.locator("input[name=host]").fill("unix:/run/app.sock");
        form.locator("input[name=port]").fill("80");
        form.locator("button[type=submit]").click();
        expect(form.locator(".field-error[data-for=port]")).hasText("a Unix socket has no port");
        form.locator("input[name=host]").fill("unix:run/app.sock");
        form.locator("input[name=port]").fill("");
        form.locator("button[type=submit]").click();
        expect(form.locator(".field-error[data-for=form]")).containsText("must be absolute");
        form.locator("input[name=host]").fill("127.0.0.1");
        form.locator("input[name=port]").fill(String.valueOf(extra.port()));
        form.locator("input[name=weight]").fill("2");
        form.locator("input[name=backup]").check();
        form.locator("button[type=submit]").click();
        String extraId = "127.0.0.1:" + extra.port();
        expect(page.locator(".toast.ok").last()).containsText("Added " + extraId);
        expect(page.locator("#backends tbody tr[data-backend]")).hasCount(4);
        expect(row(page, extraId).getByTestId("state")).hasText("UP");
        expect(row(page, extraId).locator("input.weight")).hasValue("2");
        expect(row(page, extraId).getByTestId("backup")).hasText("backup");
        expect(row(page, cluster.id(0)).getByTestId("backup")).isHidden();
        assertThat(cluster.stc.upstream().pool().find(extraId).backup()).isTrue();

        // Draining one from its row.
        row(page, cluster.id(0)).getByText("Drain").click();
        expect(row(page, cluster.id(0)).getByTestId("state")).hasText("DRAINING");
        expect(row(page, cluster.id(0)).getByText("Resume")).isVisible();

        // A weight typed into a row.
        Locator weight = row(page, cluster.id(1)).locator("input.weight");
        weight.fill("3");
        weight.press("Enter");
        expect(page.locator(".toast.ok").last()).containsText("Weight of " + cluster.id(1) + ": 3");
        assertThat(cluster.backend(1).weight()).isEqualTo(3);

        // Switching the algorithm.
        page.locator("#algorithm-select").selectOption("least_connections");
        expect(page.getByTestId("algorithm")).hasText("least_connections");
        expect(page.locator("#event-log li[data-type=algorithm_changed]")).hasCount(1);

        // A backend that stops goes DOWN, and the event log says so.
        cluster.backends.get(2).close();
        expect(row(page, cluster.id(2)).getByTestId("state")).hasText("DOWN");
        expect(page.getByTestId("backends-healthy")).hasText("2 / 4");
        expect(page.locator("#event-log li[data-type=backend_down]").first()).containsText(cluster.id(2));
        page.waitForFunction("() => Chart.getChart(document.querySelector('#chart-pool canvas'))"
            + ".data.datasets[1].data.some(p => p.y === 2)");

        // Space pauses and resumes, r refreshes.
        page.evaluate("document.activeElement.blur()");
        page.keyboard().press("Space");
        expect(page.locator("#pause")).hasAttribute("aria-pressed", "true");
        expect(page.locator("body")).hasClass(Pattern.compile("paused"));
        page.keyboard().press("Space");
        expect(page.locator("#pause")).hasAttribute("aria-pressed", "false");
        page.keyboard().press("r");
        expect(page.locator(".toast.ok").last()).hasText("Refreshed");

        // Some history for the picture: twenty snapshots drawn.
        page.waitForFunction("() => Chart.getChart(document.querySelector('#chart-latency canvas')).data.datasets[0].data.length >= 20");
        page.evaluate("window.scrollTo(0, 0)");
        page.screenshot(new Page.ScreenshotOptions().setPath(Path.of("target/dashboard.png")).setFullPage(true));
      } finally {
        load.stop();
        traffic.join();
      }
      assertThat(problems).as("console errors and page errors").isEmpty();

      // Phone width: everything reachable in one column, no sideways scrolling of the page.
      try (BrowserContext phone = browser.newContext(new Browser.NewContextOptions()
          .setViewportSize(390, 844).setDeviceScaleFactor(2).setIsMobile(true).setHasTouch(true))) {
        Page small = phone.newPage();
        small.navigate(adminUrl(cluster, "/"));
        expect(small.locator("#backends tbody tr[data-backend]")).hasCount(4);
        expect(row(small, cluster.id(2)).getByTestId("state")).hasText("DOWN");
        expect(small.getByTestId("connection")).hasAttribute("data-state", "live");
        assertThat((Boolean) small.evaluate("document.documentElement.scrollWidth <= window.innerWidth")).isTrue();
        small.screenshot(new Page.ScreenshotOptions().setPath(Path.of("target/dashboard-phone.png")).setFullPage(true));
      }
    } finally {
      extra.close();
    }
  }

  @Test
  void theTestPanelSendsThroughTheBalancerAndTheDistributionAddsUpToTheTotals() throws Exception {
    try (TestCluster cluster = TestCluster.of(2);
        BrowserContext context = browser.newContext(new Browser.NewContextOptions().setViewportSize(1400, 900))) {
      Page page = context.newPage();
      List<String> problems = new CopyOnWriteArrayList<>();
      page.onPageError(problems::add);
      page.navigate(adminUrl(cluster, "/"));
      expect(page.getByTestId("connection")).hasAttribute("data-state", "live");

      Locator panel = page.locator("#test-panel");
      panel.locator("input[name=path]").fill("/panel?delay=0.01");
      panel.locator("button[data-count='10']").click();
      Locator rows = page.locator("#test-requests tbody tr:not(.empty)");
      expect(rows).hasCount(10);
      for (int i = 0; i < 10; i++) {
        expect(rows.nth(i).locator("td[data-label=Status]")).hasText("200");
        // Playwright hands the pattern to JavaScript, which has no \\Q...\\E quoting.
        expect(rows.nth(i).locator("td[data-label=Backend]")).hasText(Pattern.compile(
            "^(" + cluster.id(0).replace(".", "\\.") + "|" + cluster.id(1).replace(".", "\\.") + ")$"));
      }
      // Newest first, numbered in the order sent.
      expect(rows.first().locator("td[data-label='#']")).hasText("10");
      expect(page.getByTestId("test-summary")).containsText("10 of 10 answered below 500, by 2 backends");
      panel.locator("button[data-count='1']").click();
      expect(rows).hasCount(11);
      panel.locator("button[data-clear]").click();
      expect(rows).hasCount(0);
      expect(page.locator("#test-requests tbody tr.empty")).hasText("No test requests yet.");

      // A client that hangs up is counted apart; the chart's slices add up to the card's total.
      try (java.net.Socket s = new java.net.Socket("127.0.0.1", cluster.stc.port())) {
        s.getOutputStream().write("GET /gone?delay=5 HTTP/1.1\r\nHost: x\r\n\r\n".getBytes());
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> cluster.stc.proxy().stats().active() == 1);
      }
      cluster.stc.upstream().remove(cluster.id(0));
      cluster.get("/after-removal");
      expect(page.getByTestId("success-sub")).hasText("13 requests, 0 failed, 1 client aborts");
      expect(page.getByTestId("success-rate")).hasText("100%");
      page.waitForFunction("() => { const c = Chart.getChart(document.querySelector('#chart-share canvas'));"
          + " return c.data.datasets[0].data.reduce((a, b) => a + b, 0) === 13"
          + " && c.data.labels.includes('backends since removed'); }");
      expect(page.locator("#chart-share .now")).hasText("13 requests");
      assertThat(problems).isEmpty();
    }
  }

  @Test
  void showsTheStreamDroppingAndReconnecting() throws Exception {
    try (TestCluster cluster = TestCluster.of(1);
        TcpRelay network = new TcpRelay(cluster.stc.adminPort());
        BrowserContext context = browser.newContext()) {
      Page page = context.newPage();
      page.navigate("http://127.0.0.1:" + network.port() + "/");
      Locator connection = page.getByTestId("connection");
      expect(connection).hasAttribute("data-state", "live");
      expect(row(page, cluster.id(0)).getByTestId("state")).hasText("UP");

      network.cut();
      expect(connection).hasAttribute("data-state", "reconnecting");
      expect(connection).containsText("reconnecting");
      network.restore();
      expect(connection).hasAttribute("data-state", "live");
      // Snapshots flow again: the table follows a change made behind the page's back.
      new AdminCalls(cluster.stc.adminPort()).patch("/api/backends/" + cluster.id(0), "{\"state\":\"maint\"}");
      expect(row(page, cluster.id(0)).getByTestId("state")).hasText("MAINT");
    }
  }

  @Test
  void asksForTheTokenOnceAndKeepsItForTheTab() throws Exception {
    String token = "browser-token-" + System.nanoTime();
    // With cors_origins set too: the dashboard's own module scripts carry an Origin and must still load.
    try (TestCluster cluster = TestCluster.of(1, c -> c.withAdmin(
            new StcConfig.Admin(true, "127.0.0.1", 0, token, List.of("https://ops.example.com"))));
        BrowserContext context = browser.newContext()) {
      Page page = context.newPage();
      page.navigate(adminUrl(cluster, "/"));
      Locator dialog = page.locator("#token-dialog");
      expect(dialog).isVisible();
      expect(page.getByTestId("token-reason")).containsText("Authorization");
      dialog.locator("input").fill("wrong");
      dialog.locator("button[type=submit]").click();
      expect(page.getByTestId("token-reason")).hasText("invalid token");
      dialog.locator("input").fill(token);
      dialog.locator("button[type=submit]").click();
      expect(dialog).isHidden();
      expect(row(page, cluster.id(0)).getByTestId("state")).hasText("UP");
      expect(page.getByTestId("connection")).hasAttribute("data-state", "live");
      assertThat(page.evaluate("sessionStorage.getItem('stc.admin.token')")).isEqualTo(token);
      // The token never travels in a URL.
      assertThat(page.url()).doesNotContain(token);

      page.reload();
      expect(row(page, cluster.id(0)).getByTestId("state")).hasText("UP");
      expect(dialog).isHidden();
    }
  }

  @Test
  void showsTheAutoscalerAndItsEvents() throws Exception {
    List<DemoBackend> instances = new ArrayList<>();
    try {
      for (int i = 0; i < 2; i++) {
        instances.add(DemoBackend.started(BackendOptions.defaults().withName("s" + i)));
      }
      String yaml = """
          autoscale:
            enabled: true
            provider: {kind: static, backends: ["127.0.0.1:%d", "127.0.0.1:%d"]}
            policy: concurrency
            min: 1
            max: 2
          """.formatted(instances.get(0).port(), instances.get(1).port());
      AutoscaleConfig autoscale = ConfigLoader.load(Files.writeString(dir.resolve("stc.yaml"), yaml)).autoscale();
      try (TestCluster cluster = TestCluster.of(List.of(), c -> c.withAutoscale(autoscale));
          BrowserContext context = browser.newContext()) {
        Page page = context.newPage();
        page.navigate(adminUrl(cluster, "/"));
        expect(page.getByTestId("autoscaler")).hasText("1");
        expect(page.getByTestId("autoscaler-sub")).hasText("concurrency: min 1, max 2, pending 0");
        expect(page.locator("#event-log li[data-type=scale_up]")).hasCount(1);
        expect(page.locator("#event-log li[data-type=scale_ready]")).hasCount(1);
        expect(page.locator("#backends tbody tr[data-backend]")).hasCount(1);
        page.waitForFunction("() => Chart.getChart(document.querySelector('#chart-pool canvas')).data.datasets[2].data.length >= 3");
        page.locator("#chart-pool").screenshot(new Locator.ScreenshotOptions().setPath(Path.of("target/dashboard-autoscaler-pool.png")));
      }
    } finally {
      instances.forEach(DemoBackend::close);
    }
  }
}
