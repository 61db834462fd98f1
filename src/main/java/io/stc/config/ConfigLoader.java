package io.stc.config;

import io.stc.balance.Algorithm;
import io.stc.balance.HashKey;
import io.stc.config.StcConfig.AccessLog;
import io.stc.config.StcConfig.Admin;
import io.stc.config.StcConfig.BackendConfig;
import io.stc.config.StcConfig.CircuitBreakerConfig;
import io.stc.config.StcConfig.Health;
import io.stc.config.StcConfig.Limits;
import io.stc.config.StcConfig.Timeouts;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Loads an {@link StcConfig} from a YAML or JSON file with snake_case keys; absent keys keep
 * {@link StcConfig#defaults()}. Every problem is a {@link ConfigException} naming file, line and key.
 */
public final class ConfigLoader {
  /** What one item of {@code backends} may say. */
  private static final String[] BACKEND_KEYS = {"host", "port", "unix", "weight", "protocol", "backup", "max_inflight"};
  static final Pattern HEADER_NAME = Pattern.compile("[!#$%&'*+\\-.^_`|~0-9A-Za-z]+");
  private static final Pattern URL_PATH = Pattern.compile("/[\\x21-\\x7e]*");

  private ConfigLoader() {}

  /** Reads and validates {@code file}. */
  public static StcConfig load(Path file) {
    StcConfig d = StcConfig.defaults();
    ConfigMap root = ConfigParser.parse(file).asMap(
        "host", "port", "io_threads", "algorithm", "backends", "health", "timeouts", "retries", "retry_budget",
        "retry_on_status", "served_by_header", "shutdown_timeout", "limits", "hash_key", "slow_start", "circuit_breaker",
        "state_dir", "sticky", "max_inflight", "queue",
        "admin", "access_log", "drain_timeout", "autoscale", "tls", "rate_limit", "transport", "h2c", "proxy_protocol",
        "client_ip", "request_id", "access", "headers", "compression", "error_pages", "mirror", "tracing");
    // The autoscale section's defaults follow these two.
    int maxInflight = root.integer("max_inflight", 0, 1_000_000, d.capacity().maxInflight());
    Duration drainTimeout = root.duration("drain_timeout", d.drainTimeout());
    AutoscaleConfig autoscale = AutoscaleSection.read(root.section("autoscale", AutoscaleSection.KEYS), maxInflight, drainTimeout);
    // An autoscaled pool is balanced by outstanding requests unless an algorithm is set (see StcConfig.AUTOSCALED_ALGORITHM).
    String algorithm = autoscale.enabled() ? StcConfig.AUTOSCALED_ALGORITHM : d.algorithm();
    StcConfig config = new StcConfig(
        root.nonEmptyString("host", d.host()),
        root.integer("port", 0, 65535, d.port()),
        root.integer("io_threads", 0, StcConfig.MAX_IO_THREADS, d.ioThreads()),
        root.value("algorithm", "an algorithm name", s -> Algorithm.parse(s).configName(), algorithm),
        backends(root.list("backends")),
        health(root.section("health", HEALTH_KEYS), d.health()),
        timeouts(root.section("timeouts", "connect", "response", "idle", "header", "body", "send", "per_try", "backend_idle", "response_body", "stream_idle"), d.timeouts()),
        root.integer("retries", 0, 10, d.retries()),
        servedByHeader(root.get("served_by_header"), d.servedByHeader()),
        root.duration("shutdown_timeout", d.shutdownTimeout()),
        limits(root.section("limits", "header_size", "uri", "headers", "body", "connections", "connections_per_client", "buffer"), d.limits()),
        root.value("hash_key", "client_ip, header:NAME or cookie:NAME", s -> HashKey.parse(s) == null ? s : s.trim(), d.hashKey()),
        root.duration("slow_start", d.slowStart()),
        circuitBreaker(
            root.section("circuit_breaker", "enabled", "failure_threshold", "open_time", "half_open_requests",
                "max_open_time", "count_5xx", "max_ejection_percent"),
            d.circuitBreaker()),
        root.nonEmptyString("state_dir", d.stateDir()),
        StickySection.read(root.get("sticky"), d.sticky()),
        capacity(maxInflight, root.section("queue", "max", "timeout", "max_memory"), d.capacity()),
        admin(root.section("admin", "enabled", "host", "port", "token", "cors_origins"), d.admin()),
        accessLog(root.section("access_log", "path", "format"), d.accessLog()),
        drainTimeout,
        autoscale,
        TlsSection.read(root.section("tls", TlsSection.KEYS)),
        RateLimitSection.read(root.get("rate_limit"), d.rateLimit()),
        root.value("transport", "a transport", StcConfig::transport, d.transport()),
        root.bool("h2c", d.h2c()),
        root.value("retry_budget", "a percentage of requests like 20% (0-100), or off", ConfigLoader::retryBudget, d.retryBudget()),
        root.bool("proxy_protocol", d.proxyProtocol()),
        clientIp(root.section("client_ip", "trusted_proxies", "header"), d.clientIp()),
        RequestIdSection.read(root.get("request_id"), d.requestId()),
        access(root.section("access", "allow", "deny")),
        HeadersSection.read(root.section("headers", "request", "response")),
        compression(root.section("compression", "enabled", "types", "min_length", "level"), d.compression()),
        errorPages(root.get("error_pages")),
        root.value("retry_on_status", "error statuses like 502,503 or 502-504 (400-599), or none", ConfigLoader::retryOnStatus,
            d.retryOnStatus()),
        mirror(root, d.mirror()),
        TracingSection.read(root.get("tracing"), System.getenv()));
    TlsConfig tls = config.tls();
    if (tls.redirects() && tls.redirectPort() != 0 && (tls.redirectPort() == config.port()
        || (config.admin().enabled() && tls.redirectPort() == config.admin().port()))) {
      throw root.section("tls", TlsSection.KEYS).fail("redirect_port",
          "is the port of " + (tls.redirectPort() == config.port() ? "the listener itself" : "the admin API") + "; name a free one, like 80");
    }
    if (config.mirror().enabled() && config.mirror().port() == config.port() && isThisMachine(config.mirror().host())) {
      // Each copy would come back as a request and be copied again, for as long as stc runs.
      throw root.section("mirror", "host", "port", "percent", "max_inflight").fail("port",
          "is stc's own listener (" + config.port() + "), so every copy would be copied again: name the service that takes the copies");
    }
    AutoscaleConfig.ProviderKind kind = config.autoscale().provider().kind();
    if (config.health().port() != 0 && config.autoscale().enabled()
        && (kind == AutoscaleConfig.ProviderKind.PROCESS || kind == AutoscaleConfig.ProviderKind.DOCKER)) {
      throw root.section("health", HEALTH_KEYS).fail("port", "cannot reach autoscaled " + kind.name().toLowerCase(java.util.Locale.ROOT)
          + " instances, which each listen on a port of their own; leave it out to probe each on its own port");
    }
    List<ConfigNode> items = root.list("backends");
    for (int i = 0; i < items.size(); i++) {
      if (config.tls().backends() && io.stc.pool.Backend.isUnix(config.backends().get(i).host())) {
        throw items.get(i).asMap(BACKEND_KEYS).get("unix").orElseThrow()
            .fail("stc speaks cleartext to a Unix socket, but tls.backends is true (TLS to every backend)");
      }
      String conflict = config.backends().get(i).protocol().conflictWithTls(config.tls().backends());
      if (conflict != null) {
        throw items.get(i).asMap(BACKEND_KEYS).get("protocol").orElseThrow().fail(conflict);
      }
    }
    return config;
  }

  private static Admin admin(ConfigMap a, Admin d) {
    List<String> origins = new ArrayList<>();
    for (ConfigNode n : a.list("cors_origins")) {
      origins.add(n.as("an origin like https://example.com", ConfigLoader::origin));
    }
    return new Admin(
        a.bool("enabled", d.enabled()),
        a.nonEmptyString("host", d.host()),
        a.integer("port", 0, 65535, d.port()),
        a.value("token", "a token", ConfigMap::nonEmpty, d.token()),
        List.copyOf(origins));
  }

  private static StcConfig.ClientIp clientIp(ConfigMap c, StcConfig.ClientIp d) {
    List<AddressRange> trusted = ranges(c, "trusted_proxies");
    return new StcConfig.ClientIp(trusted, c.value("header", "a header name", ConfigLoader::headerName, d.header()));
  }

  private static StcConfig.Compression compression(ConfigMap c, StcConfig.Compression d) {
    List<String> types = new ArrayList<>();
    for (ConfigNode n : c.list("types")) {
      types.add(n.as("a media type like text/html or text/*", ConfigLoader::mediaType));
    }
    return new StcConfig.Compression(
        c.bool("enabled", d.enabled()),
        c.get("types").isPresent() ? types : d.types(),
        c.size("min_length", 0, 1L << 30, d.minLength()),
        c.integer("level", 1, 9, d.level()));
  }

  private static StcConfig.Mirror mirror(ConfigMap root, StcConfig.Mirror d) {
    if (root.get("mirror").isEmpty()) {
      return d;
    }
    ConfigMap m = root.section("mirror", "host", "port", "percent", "max_inflight");
    String host = m.value("host", "a host name or address", ConfigLoader::resolvableHost, null);
    if (host == null) {
      m.require("host");
    }
    m.require("port");
    return new StcConfig.Mirror(
        host,
        m.integer("port", 1, 65535, 0),
        m.value("percent", "a share of requests like 10% (0-100)", ConfigLoader::percent, d.percent()),
        m.integer("max_inflight", 1, 1_000_000, d.maxInflight()));
  }

  /** A host name that resolves now, or an address: copies go to one address, found at start and reload (nginx also refuses a name it cannot find). */
  private static String resolvableHost(String s) {
    String h = ConfigMap.nonEmpty(s);
    try {
      java.net.InetAddress.getByName(h);
    } catch (java.net.UnknownHostException e) {
      throw new IllegalArgumentException("'" + h + "' does not resolve");
    }
    return h;
  }

  /** Whether {@code host} is an address of this machine (a loopback, the wildcard, or an interface's). */
  private static boolean isThisMachine(String host) {
    try {
      java.net.InetAddress a = java.net.InetAddress.getByName(host);
      return a.isLoopbackAddress() || a.isAnyLocalAddress() || java.net.NetworkInterface.getByInetAddress(a) != null;
    } catch (java.io.IOException e) {
      return false;
    }
  }

  /** 10, 10% or 0.5%: from 0 to 100. */
  static double percent(String s) {
    String v = s.trim();
    double p;
    try {
      p = Double.parseDouble(v.endsWith("%") ? v.substring(0, v.length() - 1).trim() : v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("expected a percentage like 10% or 0.5%, got '" + s + "'");
    }
    if (!(p >= 0 && p <= 100)) {
      throw new IllegalArgumentException("must be from 0% to 100%, got '" + s + "'");
    }
    return p;
  }

  private static String mediaType(String s) {
    String t = s.trim();
    if (!t.matches("[A-Za-z0-9!#$&^_.+-]+/(\\*|[A-Za-z0-9!#$&^_.+-]+)")) {
      throw new IllegalArgumentException("expected a media type like text/html or text/*, got '" + s + "'");
    }
    return t;
  }

  private static StcConfig.Access access(ConfigMap a) {
    return new StcConfig.Access(ranges(a, "allow"), ranges(a, "deny"));
  }

  private static List<AddressRange> ranges(ConfigMap m, String key) {
    List<AddressRange> ranges = new ArrayList<>();
    for (ConfigNode n : m.list(key)) {
      ranges.add(n.as("an IP address or a CIDR range like 10.0.0.0/8", AddressRange::parse));
    }
    return ranges;
  }

  private static AccessLog accessLog(ConfigMap a, AccessLog d) {
    return new AccessLog(
        a.value("path", "stdout or a writable file", ConfigLoader::accessLogPath, d.path()),
        a.value("format", "combined or json", ConfigLoader::accessLogFormat, d.format()));
  }

  /** stdout, or a file that can be appended to in a directory that exists: nothing is created unasked. */
  private static String accessLogPath(String s) {
    if (s.isBlank()) {
      throw new IllegalArgumentException("expected stdout or a file path, got an empty value");
    }
    if (s.equals("stdout")) {
      return s;
    }
    Path p = Path.of(s).toAbsolutePath();
    if (java.nio.file.Files.isDirectory(p)) {
      throw new IllegalArgumentException("'" + s + "' is a directory, not a file");
    }
    if (java.nio.file.Files.exists(p)) {
      if (!java.nio.file.Files.isWritable(p)) {
        throw new IllegalArgumentException("cannot write to '" + s + "'");
      }
      return s;
    }
    Path dir = p.getParent();
    if (dir == null || !java.nio.file.Files.isDirectory(dir)) {
      throw new IllegalArgumentException("directory '" + dir + "' does not exist (create it first)");
    }
    if (!java.nio.file.Files.isWritable(dir)) {
      throw new IllegalArgumentException("cannot create '" + s + "': directory '" + dir + "' is not writable");
    }
    return s;
  }

  private static String accessLogFormat(String s) {
    String f = s.trim().toLowerCase(java.util.Locale.ROOT);
    if (!f.equals("combined") && !f.equals("json")) {
      throw new IllegalArgumentException("expected combined or json, got '" + s + "'");
    }
    return f;
  }

  private static String origin(String s) {
    String o = s.trim();
    if (!o.equals("*") && !o.matches("https?://[^/\\s]+")) {
      throw new IllegalArgumentException("expected an origin like https://example.com (scheme and host, no path) or *, got '" + s + "'");
    }
    return o;
  }


  private static StcConfig.Capacity capacity(int maxInflight, ConfigMap q, StcConfig.Capacity d) {
    return new StcConfig.Capacity(
        maxInflight, q.integer("max", 0, 100_000_000, d.queueMax()), q.positiveDuration("timeout", d.queueTimeout()),
        q.bytes("max_memory", 64 * 1024, d.queueMaxMemory()));
  }

  private static CircuitBreakerConfig circuitBreaker(ConfigMap c, CircuitBreakerConfig d) {
    Duration open = c.positiveDuration("open_time", d.openTime());
    CircuitBreakerConfig cb = new CircuitBreakerConfig(
        c.bool("enabled", d.enabled()),
        c.integer("failure_threshold", 1, 1000, d.failureThreshold()),
        open,
        c.integer("half_open_requests", 1, 1000, d.halfOpenRequests()),
        c.positiveDuration("max_open_time", d.maxOpenTime().compareTo(open) < 0 ? open : d.maxOpenTime()),
        c.bool("count_5xx", d.count5xx()),
        c.integer("max_ejection_percent", 0, 100, d.maxEjectionPercent()));
    if (cb.maxOpenTime().compareTo(cb.openTime()) < 0) {
      throw c.get("max_open_time").orElseThrow().fail("must not be shorter than open_time (" + cb.openTime() + ")");
    }
    return cb;
  }

  /** Backends from a list of {host, port, weight} mappings; a host:port may appear only once. */
  static List<BackendConfig> backends(List<ConfigNode> items) {
    List<BackendConfig> result = new ArrayList<>();
    Map<String, ConfigNode> seen = new HashMap<>();
    for (ConfigNode item : items) {
      ConfigMap b = item.asMap(BACKEND_KEYS);
      boolean unix = b.has("unix");
      if (unix && (b.has("host") || b.has("port"))) {
        throw b.fail(b.has("host") ? "host" : "port", "a backend is a host and port, or a Unix socket (unix:), not both");
      }
      BackendConfig backend = new BackendConfig(
          unix ? b.require("unix").as("an absolute path like /run/app.sock", BackendSpec::unix)
              : b.require("host").as("a host name or address", BackendSpec::host),
          unix ? 0 : b.require("port").asInt(BackendSpec.MIN_PORT, BackendSpec.MAX_PORT),
          b.integer("weight", 0, BackendSpec.MAX_WEIGHT, BackendSpec.DEFAULT_WEIGHT),
          b.value("protocol", "http1, h2, h2c or auto", io.stc.pool.BackendProtocol::parse, io.stc.pool.BackendProtocol.HTTP1),
          b.bool("backup", false),
          b.integer("max_inflight", 0, 1_000_000, 0));
      ConfigNode first = seen.putIfAbsent(backend.id(), item);
      if (first != null) {
        throw item.fail("duplicate backend " + backend.id() + " (same as " + first.path() + " at line " + first.line() + ")");
      }
      result.add(backend);
    }
    return List.copyOf(result);
  }

  /** {@code error_pages}: status: file, for the statuses stc answers with itself. */
  private static ErrorPages errorPages(java.util.Optional<ConfigNode> section) {
    if (section.isEmpty()) {
      return ErrorPages.NONE;
    }
    Map<Integer, ErrorPages.Page> pages = new java.util.TreeMap<>();
    for (Map.Entry<String, ConfigNode> e : section.get().asOpenMap().entrySet()) {
      ConfigNode n = e.getValue();
      int status;
      try {
        status = Integer.parseInt(e.getKey().trim());
      } catch (NumberFormatException ex) {
        status = -1;
      }
      if (!ErrorPages.STATUSES.contains(status)) {
        throw n.fail("stc answers these statuses itself: " + new java.util.TreeSet<>(ErrorPages.STATUSES)
            + "; '" + e.getKey() + "' is not one of them");
      }
      pages.put(status, n.as("a file name like 503.html", ErrorPages::read));
    }
    return new ErrorPages(pages);
  }

  /** Statuses a backend's answer is retried elsewhere on: errors only, or none. */
  private static StatusRanges retryOnStatus(String s) {
    String t = s.trim();
    if (t.isEmpty() || t.equals("none")) {
      return StatusRanges.NONE;
    }
    StatusRanges r = StatusRanges.parse(t);
    if (!r.within(400, 599)) {
      throw new IllegalArgumentException("only error statuses (400-599) can be retried, got '" + s + "'");
    }
    return r;
  }

  private static final String[] HEALTH_KEYS = {
      "enabled", "path", "interval", "timeout", "rise", "fall", "grpc", "service", "expect_status", "host", "headers", "tcp", "port"};

  private static Health health(ConfigMap h, Health d) {
    Health health = new Health(
        h.bool("enabled", d.enabled()),
        h.value("path", "a path starting with '/'", ConfigLoader::urlPath, d.path()),
        h.positiveDuration("interval", d.interval()),
        h.positiveDuration("timeout", d.timeout()),
        h.integer("rise", 1, 1000, d.rise()),
        h.integer("fall", 1, 1000, d.fall()),
        h.bool("grpc", d.grpc()),
        h.value("service", "a gRPC service name like pkg.Service (empty: the server as a whole)", ConfigLoader::grpcService, d.service()),
        h.value("expect_status", "status codes and ranges like 200-399", StatusRanges::parse, d.expectStatus()),
        h.value("host", "a host name, with a port if it should say one", ConfigLoader::probeHost, d.host()),
        HeadersSection.fields(h, "headers", PROBE_RESERVED, "is the probe's own (set host: for Host)"),
        h.bool("tcp", d.tcp()),
        h.integer("port", 0, 65535, d.port()));
    if (health.tcp() && health.grpc()) {
      throw h.fail("tcp", "is a connection alone, grpc a gRPC health call: set one of them");
    }
    return health;
  }

  /** Fields a probe frames or stc sets itself: the Host comes from {@code health.host}. */
  private static final java.util.Set<String> PROBE_RESERVED = HeadersSection.with(HeadersSection.FRAMING, "content-type");

  /** A Host value: a name or address with an optional port, nothing a header line could not carry. */
  private static String probeHost(String s) {
    String h = s.trim();
    if (!h.isEmpty() && !h.matches("[A-Za-z0-9.\\-_]+(:[0-9]{1,5})?|\\[[0-9A-Fa-f:.]+\\](:[0-9]{1,5})?")) {
      throw new IllegalArgumentException("expected a host name like api.example.com, with a port if it should say one, got '" + s + "'");
    }
    return h;
  }

  private static String grpcService(String s) {
    String v = s.trim();
    for (int i = 0; i < v.length(); i++) {
      char c = v.charAt(i);
      if (!(Character.isLetterOrDigit(c) || c == '.' || c == '_' || c == '-') || c > 127) {
        throw new IllegalArgumentException("expected a gRPC service name like pkg.Service, got '" + s + "'");
      }
    }
    return v;
  }

  private static Timeouts timeouts(ConfigMap t, Timeouts d) {
    return new Timeouts(
        t.positiveDuration("connect", d.connect()),
        t.positiveDuration("response", d.response()),
        t.positiveDuration("idle", d.idle()),
        t.positiveDuration("header", d.header()),
        t.positiveDuration("body", d.body()),
        t.positiveDuration("send", d.send()),
        t.value("per_try", "auto, off or a duration like 500ms", ConfigLoader::perTry, d.perTry()),
        t.positiveDuration("backend_idle", d.backendIdle()),
        t.positiveDuration("response_body", d.responseBody()),
        t.positiveDuration("stream_idle", d.streamIdle()));
  }

  private static int retryBudget(String s) {
    String v = s.trim();
    if (v.equals("off")) {
      return StcConfig.NO_RETRY_BUDGET;
    }
    int percent;
    try {
      percent = Integer.parseInt(v.endsWith("%") ? v.substring(0, v.length() - 1).trim() : v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("expected a percentage like 20%, or off, got '" + s + "'");
    }
    if (percent < 0 || percent > 100) {
      throw new IllegalArgumentException("must be from 0% to 100%, got '" + s + "'");
    }
    return percent;
  }

  private static StcConfig.PerTry perTry(String s) {
    String v = s.trim();
    if (v.equals("auto")) {
      return StcConfig.PerTry.AUTO;
    }
    if (v.equals("off")) {
      return StcConfig.PerTry.OFF;
    }
    Duration d = HumanDuration.parse(v);
    if (d.isZero() || d.isNegative()) {
      throw new IllegalArgumentException("expected auto, off or a positive duration, got '" + s + "'");
    }
    return StcConfig.PerTry.of(d);
  }

  private static Limits limits(ConfigMap l, Limits d) {
    return new Limits(
        (int) l.size("header_size", 1024, 1L << 20, d.headerSize()),
        (int) l.size("uri", 64, 1L << 20, d.uri()),
        l.integer("headers", 1, 10_000, d.headers()),
        l.size("body", 0, 1L << 40, d.body()),
        l.integer("connections", 1, 10_000_000, d.connections()),
        l.integer("connections_per_client", 1, 10_000_000, d.connectionsPerClient()),
        (int) l.size("buffer", 0, 64L << 20, d.buffer()));
  }

  /** A header name; empty, null or false turn the header off, true keeps the default name. */
  private static String servedByHeader(Optional<ConfigNode> node, String dflt) {
    if (node.isEmpty()) {
      return dflt;
    }
    ConfigNode n = node.get();
    if (n.isNull() || Boolean.FALSE.equals(n.bool())) {
      return "";
    }
    if (Boolean.TRUE.equals(n.bool())) {
      return dflt;
    }
    return n.as("a header name", s -> {
      String name = s.trim();
      if (!name.isEmpty() && !HEADER_NAME.matcher(name).matches()) {
        throw new IllegalArgumentException("expected a header name like X-Served-By, got '" + s + "'");
      }
      return name;
    });
  }

  /** A header name like X-Forwarded-For, trimmed. */
  private static String headerName(String s) {
    String name = s.trim();
    if (!HEADER_NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("expected a header name like X-Forwarded-For, got '" + s + "'");
    }
    return name;
  }

  /** {@code s} if it is a path a request line can carry: starting with '/', no spaces. */
  public static String urlPath(String s) {
    if (!URL_PATH.matcher(s).matches()) {
      throw new IllegalArgumentException("expected a path starting with '/' and without spaces, got '" + s + "'");
    }
    return s;
  }
}
