package io.stc.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.stc.config.StcConfig.BackendConfig;
import io.stc.config.StcConfig.Health;
import io.stc.config.StcConfig.Limits;
import io.stc.config.StcConfig.Sticky;
import io.stc.config.StcConfig.Timeouts;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
  private static final String FULL_YAML = """
      # every key, none at its default
      host: 127.0.0.1
      port: 9090
      io_threads: 4
      transport: epoll
      h2c: false
      algorithm: Round-Robin
      backends:
        - host: localhost
          port: 3001
          weight: 2
        - {host: "[::1]", port: 3002}
      health:
        enabled: false
        path: /healthz
        interval: 500ms
        timeout: 1.5
        rise: 3
        fall: 4
      timeouts:
        connect: 250ms
        response: 1m
        idle: 1h
        backend_idle: 90s
        response_body: 2m
        stream_idle: 1h
      retries: 5
      retry_on_status: 502-504
      mirror: {host: 127.0.0.1, port: 4001, percent: 12.5%, max_inflight: 30}
      tracing: {endpoint: "https://otel.example.com", sample: 5%, service_name: shop-lb, headers: {X-Api-Key: s3cret}, incoming: trusted}
      retry_budget: 10%
      proxy_protocol: true
      served_by_header: X-Backend
      shutdown_timeout: 10
      limits:
        header_size: 16KiB
        uri: 4k
      hash_key: header:X-User
      slow_start: 10s
      circuit_breaker:
        enabled: false
        failure_threshold: 3
        open_time: 2s
        half_open_requests: 2
        max_open_time: 30s
        count_5xx: false
        max_ejection_percent: 40
      state_dir: /var/lib/stc
      sticky:
        mode: Header
        name: X-Session
        ttl: 30m
        max_sessions: 5000
        honour_draining: true
      max_inflight: 5
      queue:
        max: 50
        timeout: 3s
      admin:
        enabled: false
        host: 0.0.0.0
        port: 9191
        token: s3cret
        cors_origins: [https://ops.example.com, "*"]
      access_log:
        path: access.log
        format: JSON
      drain_timeout: 5s
      client_ip:
        trusted_proxies: [10.0.0.0/8, 192.0.2.7, "2001:db8::/32"]
        header: CF-Connecting-IP
      request_id:
        header: X-Correlation-Id
        incoming: Trusted
        response: false
      access:
        allow: [10.0.0.0/8]
        deny: [10.6.6.6]
      headers:
        request:
          set: {X-Env: prod}
        response:
          set:
            X-Frame-Options: DENY
            Content-Security-Policy: "default-src 'self'"
          remove: [Server, X-Powered-By]
      compression:
        enabled: true
        types: [text/html, "text/*"]
        min_length: 2KiB
        level: 6
      """;

  private static final String FULL_JSON = """
      {
        "host": "127.0.0.1", "port": 9090, "io_threads": 4, "transport": "epoll", "h2c": false, "algorithm": "Round-Robin",
        "backends": [
          {"host": "localhost", "port": 3001, "weight": 2},
          {"host": "[::1]", "port": "3002"}
        ],
        "health": {"enabled": false, "path": "/healthz", "interval": "500ms", "timeout": 1.5,
                   "rise": 3, "fall": 4},
        "timeouts": {"connect": "250ms", "response": "1m", "idle": "1h", "backend_idle": "90s",
                     "response_body": "2m", "stream_idle": "1h"},
        "retries": 5, "retry_budget": 10, "proxy_protocol": true,
        "served_by_header": "X-Backend",
        "shutdown_timeout": 10,
        "limits": {"header_size": "16KiB", "uri": 4096},
        "hash_key": "header:X-User",
        "slow_start": "10s",
        "circuit_breaker": {"enabled": false, "failure_threshold": 3, "open_time": "2s",
          "half_open_requests": 2, "max_open_time": "30s", "count_5xx": false, "max_ejection_percent": 40},
        "state_dir": "/var/lib/stc",
        "sticky": {"mode": "header", "name": "X-Session", "ttl": "30m", "max_sessions": 5000,
                   "honour_draining": true},
        "max_inflight": 5,
        "queue": {"max": 50, "timeout": "3s"},
        "admin": {"enabled": false, "host": "0.0.0.0", "port": 9191, "token": "s3cret",
                  "cors_origins": ["https://ops.example.com", "*"]},
        "access_log": {"path": "access.log", "format": "json"},
        "drain_timeout": "5s",
        "client_ip": {"trusted_proxies": ["10.0.0.0/8", "192.0.2.7", "2001:db8::/32"], "header": "CF-Connecting-IP"},
        "request_id": {"header": "X-Correlation-Id", "incoming": "trusted", "response": false},
        "access": {"allow": ["10.0.0.0/8"], "deny": ["10.6.6.6"]},
        "headers": {"request": {"set": {"X-Env": "prod"}},
                    "response": {"set": {"X-Frame-Options": "DENY", "Content-Security-Policy": "default-src 'self'"},
                                 "remove": ["Server", "X-Powered-By"]}},
        "compression": {"enabled": true, "types": ["text/html", "text/*"], "min_length": "2KiB", "level": 6},
        "retry_on_status": "502-504",
        "mirror": {"host": "127.0.0.1", "port": 4001, "percent": "12.5", "max_inflight": 30},
        "tracing": {"endpoint": "https://otel.example.com/", "sample": "5", "service_name": "shop-lb", "headers": {"X-Api-Key": "s3cret"}, "incoming": "trusted"}
      }
      """;

  private static final StcConfig FULL = new StcConfig(
      "127.0.0.1", 9090, 4, "round_robin",
      List.of(new BackendConfig("localhost", 3001, 2), new BackendConfig("::1", 3002, 1)),
      new Health(false, "/healthz", Duration.ofMillis(500), Duration.ofMillis(1500), 3, 4),
      new Timeouts(Duration.ofMillis(250), Duration.ofMinutes(1), Duration.ofHours(1), Duration.ofSeconds(10), Duration.ofSeconds(30),
          Duration.ofSeconds(60), StcConfig.PerTry.AUTO, Duration.ofSeconds(90), Duration.ofMinutes(2), Duration.ofHours(1)),
      5, "X-Backend", Duration.ofSeconds(10), new Limits(16 * 1024, 4096, 100, 0, 10_000, 1_000, 64 * 1024),
      "header:X-User", Duration.ofSeconds(10),
      new StcConfig.CircuitBreakerConfig(false, 3, Duration.ofSeconds(2), 2, Duration.ofSeconds(30), false, 40),
      "/var/lib/stc", new Sticky(Sticky.Mode.HEADER, "X-Session", Duration.ofMinutes(30), 5000, true, null),
      new StcConfig.Capacity(5, 50, Duration.ofSeconds(3)),
      new StcConfig.Admin(false, "0.0.0.0", 9191, "s3cret", List.of("https://ops.example.com", "*")),
      new StcConfig.AccessLog("access.log", "json"), Duration.ofSeconds(5),
      // The autoscaler drains like any removal unless its own drain_timeout is set.
      io.stc.config.AutoscaleConfig.defaults(5).withDrainTimeout(Duration.ofSeconds(5)), io.stc.config.TlsConfig.defaults(), StcConfig.RateLimit.defaults(),
      "epoll", false, 10, true,
      new StcConfig.ClientIp(
          List.of(AddressRange.parse("10.0.0.0/8"), AddressRange.parse("192.0.2.7"), AddressRange.parse("2001:db8::/32")),
          "CF-Connecting-IP"),
      new StcConfig.RequestId("X-Correlation-Id", StcConfig.RequestId.Incoming.TRUSTED, false),
      new StcConfig.Access(List.of(AddressRange.parse("10.0.0.0/8")), List.of(AddressRange.parse("10.6.6.6"))),
      new StcConfig.HeaderEdits(java.util.Map.of("X-Env", "prod"), List.of(),
          new java.util.LinkedHashMap<>(java.util.Map.of("X-Frame-Options", "DENY")) {{
            put("Content-Security-Policy", "default-src 'self'");
          }}, List.of("Server", "X-Powered-By")),
      new StcConfig.Compression(true, List.of("text/html", "text/*"), 2048, 6), ErrorPages.NONE,
      io.stc.config.StatusRanges.parse("502-504"), new StcConfig.Mirror("127.0.0.1", 4001, 12.5, 30),
      new StcConfig.Tracing("https://otel.example.com/v1/traces", 0.05, "shop-lb", java.util.Map.of("X-Api-Key", "s3cret"), StcConfig.RequestId.Incoming.TRUSTED, java.util.List.of(StcConfig.Tracing.Propagation.TRACECONTEXT)));

  private static final String KNOWN_TOP = "host, port, io_threads, algorithm, backends, health, "
      + "timeouts, retries, retry_budget, retry_on_status, served_by_header, shutdown_timeout, limits, hash_key, slow_start, circuit_breaker, "
      + "state_dir, sticky, max_inflight, queue, admin, access_log, drain_timeout, autoscale, tls, rate_limit, transport, h2c, proxy_protocol, client_ip, request_id, access, headers, compression, error_pages, mirror, tracing";

  @TempDir Path dir;

  @Test
  void fullYamlAndJsonGiveTheSameConfig() throws IOException {
    StcConfig yaml = ConfigLoader.load(write("stc.yaml", FULL_YAML));
    StcConfig json = ConfigLoader.load(write("stc.json", FULL_JSON));

    assertThat(yaml).isEqualTo(FULL);
    assertThat(json).isEqualTo(FULL);
  }

  @Test
  void emptyFilesGiveTheDefaults() throws IOException {
    assertThat(ConfigLoader.load(write("stc.yaml", ""))).isEqualTo(StcConfig.defaults());
    assertThat(ConfigLoader.load(write("comments.yaml", "# nothing yet\n"))).isEqualTo(StcConfig.defaults());
    assertThat(ConfigLoader.load(write("stc.json", ""))).isEqualTo(StcConfig.defaults());
    assertThat(ConfigLoader.load(write("braces.json", "{}"))).isEqualTo(StcConfig.defaults());
  }

  @Test
  void missingKeysKeepTheirDefaultsInsideSections() throws IOException {
    StcConfig c = ConfigLoader.load(write("stc.yaml", "health:\n  rise: 5\ntimeouts:\nlimits: {}\n"));

    StcConfig d = StcConfig.defaults();
    assertThat(c.health()).isEqualTo(new Health(true, "/health", d.health().interval(), d.health().timeout(), 5, 3));
    assertThat(c.timeouts()).isEqualTo(d.timeouts());
    assertThat(c.limits()).isEqualTo(d.limits());
  }

  @Test
  void servedByHeaderCanBeTurnedOff() throws IOException {
    assertThat(ConfigLoader.load(write("a.yaml", "served_by_header: \"\"\n")).servedByHeader()).isEmpty();
    assertThat(ConfigLoader.load(write("b.yaml", "served_by_header: false\n")).servedByHeader()).isEmpty();
    assertThat(ConfigLoader.load(write("c.yaml", "served_by_header:\n")).servedByHeader()).isEmpty();
    assertThat(ConfigLoader.load(write("d.json", "{\"served_by_header\": false}")).servedByHeader()).isEmpty();
    assertThat(ConfigLoader.load(write("e.yaml", "served_by_header: true\n")).servedByHeader()).isEqualTo("X-Served-By");
    assertThat(ConfigLoader.load(write("f.yaml", "port: 0\n")).servedByHeader()).isEqualTo("X-Served-By");
    assertThat(error("g.yaml", "served_by_header: X Served\n"))
        .isEqualTo("1: served_by_header: expected a header name like X-Served-By, got 'X Served'");
  }

  @Test
  void portZeroMeansPickAFreePort() throws IOException {
    assertThat(ConfigLoader.load(write("stc.yaml", "port: 0\n")).port()).isZero();
  }

  @Test
  void badDurationNamesLineAndKey() throws IOException {
    String yaml = """
        host: 0.0.0.0
        port: 8080
        backends:
          - host: a
            port: 1
        health:
          interval: abc
        """;
    assertThat(error("stc.yaml", yaml))
        .isEqualTo("7: health.interval: expected a duration like 2s or 500ms, got 'abc'");
  }

  @Test
  void unknownTransportNamesLineAndTheChoices() throws IOException {
    assertThat(error("stc.yaml", "port: 1\ntransport: kqueue\n"))
        .isEqualTo("2: transport: expected auto, io_uring, epoll or nio, got 'kqueue'");
    assertThat(ConfigLoader.load(write("nio.yaml", "transport: ' nio '\n")).transport()).isEqualTo("nio");
  }

  @Test
  void http2OverTlsNeedsTlsToBackendsAndCleartextHttp2NeedsItOff() throws IOException {
    assertThat(error("stc.yaml", "backends:\n  - {host: a, port: 1}\n  - host: b\n    port: 2\n    protocol: h2\n"))
        .isEqualTo("5: backends[1].protocol: h2 is HTTP/2 over TLS, but tls.backends is false (h2c is HTTP/2 without TLS)");
    assertThat(error("stc.yaml", "backends:\n  - {host: a, port: 1, protocol: h2c}\ntls:\n  backends: true\n"))
        .isEqualTo("2: backends[0].protocol: h2c is HTTP/2 without TLS, but tls.backends is true (h2 is HTTP/2 over TLS)");
  }

  @Test
  void aBackendMayBeABackup() throws IOException {
    StcConfig c = ConfigLoader.load(write("b.yaml", "backends:\n  - {host: a, port: 1}\n  - {host: b, port: 2, backup: true}\n"));
    assertThat(c.backends()).extracting(StcConfig.BackendConfig::backup).containsExactly(false, true);
    assertThat(error("stc.yaml", "backends:\n  - {host: a, port: 1}\n  - host: b\n    port: 2\n    backup: maybe\n"))
        .startsWith("5: backends[1].backup: ");
    assertThat(error("stc.yaml", "backends:\n  - {host: a, port: 1, backup: true, protocol: h2}\n"))
        .startsWith("2: backends[0].protocol: h2 is HTTP/2 over TLS");
  }

  @Test
  void healthProbesTakeExpectedStatusesAHostAndFields() throws IOException {
    StcConfig d = ConfigLoader.load(write("d.yaml", "port: 1\n"));
    assertThat(d.health().expectStatus()).hasToString("200-399");
    assertThat(d.health().host()).isEmpty();
    assertThat(d.health().headers()).isEmpty();
    StcConfig c = ConfigLoader.load(write("h.yaml",
        "health:\n  expect_status: 2xx, 301\n  host: api.example.com\n  headers: {X-Health-Token: s3cret}\n"));
    assertThat(c.health().expectStatus()).hasToString("200-299,301");
    assertThat(c.health().expectStatus().contains(301)).isTrue();
    assertThat(c.health().expectStatus().contains(302)).isFalse();
    assertThat(c.health().host()).isEqualTo("api.example.com");
    assertThat(c.health().headers()).containsExactly(Map.entry("X-Health-Token", "s3cret"));
    assertThat(error("stc.yaml", "port: 1\nhealth:\n  expect_status: 200-99\n")).startsWith("3: health.expect_status: ");
    assertThat(error("stc.yaml", "port: 1\nhealth:\n  expect_status: ok\n")).startsWith("3: health.expect_status: ");
    assertThat(error("stc.yaml", "port: 1\nhealth:\n  host: 'a b'\n")).startsWith("3: health.host: ");
    assertThat(error("stc.yaml", "port: 1\nhealth:\n  headers: {Host: x}\n")).startsWith("3: health.headers.Host: ");
    assertThat(ConfigLoader.load(write("t.yaml", "health:\n  tcp: true\n")).health().tcp()).isTrue();
    assertThat(error("stc.yaml", "port: 1\nhealth:\n  grpc: true\n  tcp: true\n")).startsWith("4: health.tcp: is a connection alone");
    assertThat(error("stc.yaml", "port: 1\nhealth:\n  headers:\n    X-A: \"a\\nb\"\n")).startsWith("4: health.headers.X-A: ");
    StcConfig unix = ConfigLoader.load(write("u.yaml", "backends:\n  - {unix: /run/app.sock, weight: 2}\n  - {host: 127.0.0.1, port: 3001}\n"));
    assertThat(unix.backends().get(0)).isEqualTo(new BackendConfig("unix:/run/app.sock", 0, 2));
    assertThat(unix.backends().get(0).id()).isEqualTo("unix:/run/app.sock");
    assertThat(error("stc.yaml", "port: 1\nbackends:\n  - {unix: run/app.sock}\n")).startsWith("3: backends[0].unix: ").contains("must be absolute");
    assertThat(error("stc.yaml", "port: 1\nbackends:\n  - {unix: /run/app.sock, port: 80}\n")).startsWith("3: backends[0].port: ")
        .contains("not both");
    assertThat(error("stc.yaml", "port: 1\nbackends:\n  - {unix: /run/" + "a".repeat(120) + "}\n")).startsWith("3: backends[0].unix: ");
    assertThat(error("stc.yaml", "port: 1\ntls: {backends: true}\nbackends:\n  - {unix: /run/app.sock}\n"))
        .startsWith("4: backends[0].unix: stc speaks cleartext to a Unix socket");
    assertThat(ConfigLoader.load(write("m.yaml", "backends:\n  - {host: 127.0.0.1, port: 3001, max_inflight: 20}\n")).backends().get(0))
        .isEqualTo(new BackendConfig("127.0.0.1", 3001, 1, io.stc.pool.BackendProtocol.HTTP1, false, 20));
    assertThat(error("stc.yaml", "port: 1\nbackends:\n  - {host: 127.0.0.1, port: 3001, max_inflight: -1}\n"))
        .startsWith("3: backends[0].max_inflight: ");
    assertThat(BackendSpec.parse("unix:/run/app.sock")).isEqualTo(new BackendConfig("unix:/run/app.sock", 0, 1));
    assertThatThrownBy(() -> BackendSpec.parse("unix:app.sock")).hasMessageContaining("must be absolute");
    assertThat(d.retryOnStatus()).isEqualTo(StatusRanges.NONE);
    assertThat(ConfigLoader.load(write("r.yaml", "retry_on_status: 503\n")).retryOnStatus()).hasToString("503");
    assertThat(ConfigLoader.load(write("r2.yaml", "retry_on_status: 5xx, 429\n")).retryOnStatus()).hasToString("500-599,429");
    assertThat(ConfigLoader.load(write("r3.yaml", "retry_on_status: none\n")).retryOnStatus()).isEqualTo(StatusRanges.NONE);
    assertThat(error("stc.yaml", "port: 1\nretry_on_status: 200-503\n")).startsWith("2: retry_on_status: only error statuses (400-599)");
    assertThat(error("stc.yaml", "port: 1\nretry_on_status: soon\n")).startsWith("2: retry_on_status: ");
    assertThat(d.health().port()).isZero();
    assertThat(ConfigLoader.load(write("p.yaml", "health:\n  port: 8081\n")).health().port()).isEqualTo(8081);
    assertThat(error("stc.yaml", "port: 1\nhealth:\n  port: 70000\n")).startsWith("3: health.port: ");
    // Autoscaled processes and containers each listen on a port of their own: one health port reaches none of them.
    assertThat(error("stc.yaml", "port: 1\nhealth:\n  path: /h\n  port: 8081\nautoscale: {enabled: true}\n"))
        .startsWith("4: health.port: cannot reach autoscaled process instances");
    assertThat(ConfigLoader.load(write("k.yaml", "health:\n  port: 8081\nautoscale:\n  enabled: true\n  provider: {kind: static, backends: ['127.0.0.1:3001']}\n"))
        .health().port()).isEqualTo(8081);
  }

  @Test
  void aMirrorNeedsAPlaceToSendCopiesAndAShareWithinZeroToAHundred() throws IOException {
    assertThat(StcConfig.defaults().mirror().enabled()).isFalse();
    StcConfig.Mirror m = ConfigLoader.load(write("m.yaml", "mirror:\n  host: localhost\n  port: 4001\n")).mirror();
    assertThat(m).isEqualTo(new StcConfig.Mirror("localhost", 4001, 100, 100));
    assertThat(m.enabled()).isTrue();
    assertThat(ConfigLoader.load(write("m2.yaml", "mirror: {host: '::1', port: 1, percent: 0.5%}\n")).mirror().percent()).isEqualTo(0.5);
    assertThat(error("stc.yaml", "port: 1\nmirror:\n  port: 4001\n")).startsWith("2: mirror.host: missing (required)");
    assertThat(error("stc.yaml", "port: 1\nmirror:\n  host: 127.0.0.1\n")).startsWith("2: mirror.port: missing (required)");
    assertThat(error("stc.yaml", "port: 1\nmirror:\n  host: 127.0.0.1\n  port: 4001\n  percent: 120%\n")).startsWith("5: mirror.percent: must be from 0% to 100%");
    assertThat(error("stc.yaml", "port: 1\nmirror:\n  host: no-such-host.invalid\n  port: 4001\n")).startsWith("3: mirror.host: 'no-such-host.invalid' does not resolve");
    assertThat(error("stc.yaml", "port: 1\nmirror:\n  host: 127.0.0.1\n  port: 4001\n  max_inflight: 0\n")).startsWith("5: mirror.max_inflight: ");
    assertThat(error("stc.yaml", "port: 1\nmirror:\n  host: 127.0.0.1\n  port: 4001\n  sample: 3\n")).contains("mirror.sample");
    // Pointed at stc itself, each copy would be copied again for ever.
    assertThat(error("stc.yaml", "port: 8080\nmirror: {host: localhost, port: 8080}\n")).startsWith("2: mirror.port: is stc's own listener (8080)");
    assertThat(ConfigLoader.load(write("m3.yaml", "port: 8080\nmirror: {host: localhost, port: 8081}\n")).mirror().port()).isEqualTo(8081);
  }

  @Test
  void errorPagesAreReadWithTheConfigAndNameTheirProblemsLine() throws IOException {
    Path page = write("503.html", "<h1>Back soon</h1>\n");
    write("over.html", "x".repeat((int) ErrorPages.MAX_BYTES + 1));
    StcConfig c = ConfigLoader.load(write("e.yaml", "error_pages:\n  503: " + page + "\n  '502': " + page + "\n"));
    assertThat(c.errorPages().page(503).body()).isEqualTo("<h1>Back soon</h1>\n".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    assertThat(c.errorPages().page(503).contentType()).isEqualTo("text/html; charset=utf-8");
    assertThat(c.errorPages().page(502)).isEqualTo(c.errorPages().page(503));
    assertThat(c.errorPages().page(504)).isNull();
    assertThat(ConfigLoader.load(write("none.yaml", "port: 1\n")).errorPages()).isEqualTo(ErrorPages.NONE);

    assertThat(error("stc.yaml", "port: 1\nerror_pages:\n  404: " + page + "\n"))
        .startsWith("3: error_pages.404: stc answers these statuses itself: [400, 403, ");
    assertThat(error("stc.yaml", "port: 1\nerror_pages:\n  503: " + dir.resolve("gone.html") + "\n"))
        .isEqualTo("3: error_pages.503: cannot read " + dir.resolve("gone.html") + ": NoSuchFileException");
    assertThat(error("stc.yaml", "port: 1\nerror_pages:\n  503: " + dir.resolve("over.html") + "\n"))
        .endsWith("holds 1048577 bytes; a page may hold at most 1MiB");
    assertThat(error("stc.yaml", "port: 1\nerror_pages:\n  503: " + dir.resolve("e.yaml") + "\n"))
        .contains("name a file ending .html, .htm, .json, .xml or .txt");
  }

  @Test
  void grpcHealthChecksNameTheirService() throws IOException {
    StcConfig c = ConfigLoader.load(write("g.yaml", "health:\n  grpc: true\n  service: shop.Cart\n"));
    assertThat(c.health().grpc()).isTrue();
    assertThat(c.health().service()).isEqualTo("shop.Cart");
    assertThat(ConfigLoader.load(write("d.yaml", "port: 1\n")).health().grpc()).isFalse();
    assertThat(error("stc.yaml", "health:\n  grpc: true\n  service: 'shop/Cart'\n"))
        .isEqualTo("3: health.service: expected a gRPC service name like pkg.Service, got 'shop/Cart'");
  }

  @Test
  void unknownKeysListTheKnownOnes() throws IOException {
    assertThat(error("stc.yaml", "host: a\nport: 1\nhelth:\n  enabled: true\n"))
        .isEqualTo("3: helth: unknown key (known: " + KNOWN_TOP + ")");
    assertThat(error("stc.yaml", "health:\n  enabled: true\n  intervl: 2s\n"))
        .isEqualTo("3: health.intervl: unknown key (known: enabled, path, interval, timeout, rise, fall, grpc, service, expect_status, host, headers, tcp, port)");
    assertThat(error("stc.yaml", "backends:\n  - host: a\n    port: 1\n    wieght: 2\n"))
        .isEqualTo("4: backends[0].wieght: unknown key (known: host, port, unix, weight, protocol, backup, max_inflight)");
  }

  @Test
  void yamlSyntaxErrorsHaveTheirLine() throws IOException {
    assertThat(error("stc.yaml", "port: 1\nhost: a\n  retries: 2\n"))
        .startsWith("3: syntax error: mapping values are not allowed here");
    assertThat(error("stc.yaml", "port: 1\nhost: \"abc\n"))
        .startsWith("3: syntax error: found unexpected end of stream")
        .contains("started at line 2");
  }

  @Test
  void jsonSyntaxErrorsHaveTheirLine() throws IOException {
    assertThat(error("stc.json", "{\n  \"port\": 1,\n  \"host\": \n}\n"))
        .startsWith("4: syntax error: Unexpected character ('}'");
    assertThat(error("trailing.json", "{\n  \"port\": 1,\n}\n"))
        .startsWith("3: syntax error: ");
    assertThat(error("open.json", "{\n  \"port\": 1\n"))
        .startsWith("3: syntax error: Unexpected end-of-input")
        .doesNotContain("Source");
  }

  @Test
  void wrongTypesAreReported() throws IOException {
    assertThat(error("stc.yaml", "host: a\nport: \"abc\"\n"))
        .isEqualTo("2: port: expected an integer from 0 to 65535, got 'abc'");
    assertThat(error("stc.yaml", "port: 80.5\n"))
        .isEqualTo("1: port: expected an integer from 0 to 65535, got '80.5'");
    assertThat(error("stc.yaml", "port:\n"))
        .isEqualTo("1: port: expected an integer from 0 to 65535, got nothing");
    assertThat(error("stc.yaml", "backends: 5\n")).isEqualTo("1: backends: expected a list, got '5'");
    assertThat(error("stc.yaml", "health: on\n")).isEqualTo("1: health: expected a mapping, got 'on'");
    assertThat(error("stc.yaml", "host:\n  - a\n")).isEqualTo("1: host: expected a non-empty string, got a list");
    assertThat(error("stc.yaml", "backends:\n  - a:1\n")).isEqualTo("2: backends[0]: expected a mapping, got 'a:1'");
    assertThat(error("stc.yaml", "health:\n  enabled: maybe\n"))
        .isEqualTo("2: health.enabled: expected true or false, got 'maybe'");
    assertThat(error("stc.json", "{\"timeouts\": {\"idle\": [1]}}"))
        .isEqualTo("1: timeouts.idle: expected a duration like 2s or 500ms, got a list");
    assertThat(error("stc.yaml", "- port\n")).isEqualTo("1: expected a mapping, got a list");
  }

  @Test
  void valuesOutOfRangeAreReported() throws IOException {
    assertThat(error("stc.yaml", "port: 65536\n")).isEqualTo("1: port: expected an integer from 0 to 65535, got 65536");
    assertThat(error("stc.yaml", "io_threads: -1\n")).isEqualTo("1: io_threads: expected an integer from 0 to 256, got -1");
    assertThat(error("stc.yaml", "retries: 11\n")).isEqualTo("1: retries: expected an integer from 0 to 10, got 11");
    assertThat(error("stc.yaml", "health:\n  rise: 0\n")).isEqualTo("2: health.rise: expected an integer from 1 to 1000, got 0");
    assertThat(error("stc.yaml", "health:\n  fall: -2\n")).isEqualTo("2: health.fall: expected an integer from 1 to 1000, got -2");
    assertThat(error("stc.yaml", "health:\n  path: healthz\n"))
        .isEqualTo("2: health.path: expected a path starting with '/' and without spaces, got 'healthz'");
    assertThat(error("stc.yaml", "timeouts:\n  idle: 1s\n  connect: 0ms\n"))
        .isEqualTo("3: timeouts.connect: must be more than 0, got '0ms'");
    assertThat(error("stc.yaml", "health:\n  timeout: -1s\n"))
        .isEqualTo("2: health.timeout: expected a duration like 2s or 500ms, got '-1s'");
    assertThat(error("stc.yaml", "limits:\n  uri: 8KB\n"))
        .isEqualTo("2: limits.uri: expected a size like 8KiB, 8k or 1MiB, got '8KB'");
    assertThat(error("stc.yaml", "limits:\n  header_size: 2g\n"))
        .isEqualTo("2: limits.header_size: expected a size from 1KiB to 1MiB, got '2g'");
    // Issue 16, finding 7: this printed an OutOfMemoryError and hung.
    assertThat(error("stc.yaml", "io_threads: 2147483647\n"))
        .isEqualTo("1: io_threads: expected an integer from 0 to 256, got 2147483647");
    assertThat(error("stc.yaml", "timeouts:\n  response: 9000h\n"))
        .isEqualTo("2: timeouts.response: expected at most 365 days (8760h), got '9000h'");
    assertThat(error("stc.yaml", "timeouts:\n  per_try: soon\n"))
        .isEqualTo("2: timeouts.per_try: expected a duration like 2s or 500ms, got 'soon'");
    assertThat(error("stc.yaml", "limits:\n  buffer: 1g\n"))
        .isEqualTo("2: limits.buffer: expected a size from 0B to 64MiB, got '1g'");
    assertThat(error("stc.yaml", "limits:\n  connections_per_client: 0\n"))
        .isEqualTo("2: limits.connections_per_client: expected an integer from 1 to 10000000, got 0");
    assertThat(error("stc.yaml", "host: \"  \"\n")).isEqualTo("1: host: must not be empty");
    assertThat(error("stc.yaml", "algorithm: fastest\n"))
        .isEqualTo("1: algorithm: unknown algorithm 'fastest'; valid: " + io.stc.balance.Algorithm.validNames());
  }

  @Test
  void anAccessLogPathThatCannotBeUsedIsRefusedAndNothingIsCreated(@org.junit.jupiter.api.io.TempDir Path dir) throws IOException {
    Path missing = dir.resolve("no-such-dir");
    assertThat(error("stc.yaml", "access_log:\n  path: " + missing.resolve("access.log") + "\n"))
        .isEqualTo("2: access_log.path: directory '" + missing + "' does not exist (create it first)");
    assertThat(missing).doesNotExist();
    assertThat(error("stc.yaml", "access_log:\n  path: " + dir + "\n"))
        .isEqualTo("2: access_log.path: '" + dir + "' is a directory, not a file");
    assertThat(ConfigLoader.load(write("ok.yaml", "access_log:\n  path: " + dir.resolve("a.log") + "\n")).accessLog().path())
        .isEqualTo(dir.resolve("a.log").toString());
  }

  @Test
  void backendsAreChecked() throws IOException {
    String weight = "backends:\n  - host: a\n    port: 1\n  - host: b\n    port: 2\n    weight: 1001\n";
    assertThat(error("stc.yaml", weight))
        .isEqualTo("6: backends[1].weight: expected an integer from 0 to 1000, got 1001");
    assertThat(error("stc.yaml", "backends:\n  - host: a\n    port: 1\n  - host: \"\"\n    port: 2\n"))
        .isEqualTo("4: backends[1].host: must not be empty");
    assertThat(error("stc.yaml", "backends:\n  - host: a\n    port: 1\n  - host: b\n"))
        .isEqualTo("4: backends[1].port: missing (required)");
    assertThat(error("stc.yaml", "backends:\n  - host: a\n    port: 0\n"))
        .isEqualTo("3: backends[0].port: expected an integer from 1 to 65535, got 0");
    assertThat(error("stc.yaml", "backends:\n  - host: a\n    port: 1\n  - {host: a, port: 1, weight: 3}\n"))
        .isEqualTo("4: backends[1]: duplicate backend a:1 (same as backends[0] at line 2)");
  }

  @Test
  void duplicateKeysAreReported() throws IOException {
    assertThat(error("stc.yaml", "port: 1\nhost: a\nport: 2\n")).isEqualTo("3: port: duplicate key");
    assertThat(error("stc.json", "{\"health\": {\"rise\": 1,\n \"rise\": 2}}")).isEqualTo("2: health.rise: duplicate key");
  }

  @Test
  void unsupportedYamlIsReported() throws IOException {
    assertThat(error("stc.yaml", "port: 1\n---\nport: 2\n"))
        .isEqualTo("3: unexpected content after the end (one document per file)");
    assertThat(error("stc.yaml", "host: &h a\nbackends:\n  - host: *h\n    port: 1\n"))
        .isEqualTo("3: backends[0].host: YAML aliases (*name) are not supported; write the value out");
  }

  @Test
  void missingFileIsReportedClearly() {
    Path missing = dir.resolve("nope.yaml");
    assertThatThrownBy(() -> ConfigLoader.load(missing))
        .isInstanceOf(ConfigException.class)
        .hasMessage(missing + ": no such file");
    assertThatThrownBy(() -> ConfigLoader.load(dir))
        .isInstanceOf(ConfigException.class)
        .hasMessage(dir + ": is a directory, not a file");
  }

  private Path write(String name, String content) throws IOException {
    return Files.writeString(dir.resolve(name), content);
  }

  /** The error message for a file with this content, without the leading "path:". */
  private String error(String name, String content) throws IOException {
    Path file = write(name, content);
    try {
      ConfigLoader.load(file);
    } catch (ConfigException e) {
      assertThat(e.getMessage()).startsWith(file + ":");
      return e.getMessage().substring(file.toString().length() + 1);
    }
    throw new AssertionError("no error for " + name + ":\n" + content);
  }
}
