package io.stc.traffic;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a load run does: the target and request, and either an open loop (a {@link TrafficPattern}
 * at a nominal rate for a duration) or a closed loop ({@code requests} spread over
 * {@code concurrency} virtual clients that each wait for their previous response).
 *
 * @param requests closed loop when positive, open loop when 0
 * @param connections open loop: the most keep-alive connections, opened as requests find every
 *     open one busy; closed loop: the virtual clients, one connection each
 * @param maxOutstanding open loop: requests in flight or waiting for a free connection beyond
 *     which new ones are dropped by the client
 * @param warmUp how long the generator first loads a throwaway local server, not the target, so
 *     its own code is compiled before anything is measured; zero for none
 * @param trace a recorded rate replayed instead of the pattern, or null; {@code rate} is then its
 *     mean and {@code duration} its length
 * @param targets the targets the requests go to in turn instead of the URL's path, or null
 */
public record LoadOptions(
    URI url,
    String method,
    List<Map.Entry<String, String>> headers,
    byte[] body,
    boolean cookieJar,
    Duration timeout,
    TrafficPattern pattern,
    double rate,
    Duration duration,
    long seed,
    long requests,
    int connections,
    int maxOutstanding,
    int threads,
    String servedByHeader,
    Duration warmUp,
    RateTrace trace,
    RequestTargets targets) {

  /**
   * Open loop: at most this many connections. They open only as the backlog needs them, so a
   * fast target keeps few; the cap is what stops a stalled one from taking a socket per request.
   */
  public static final int DEFAULT_CONNECTIONS = 1000;
  public static final int DEFAULT_CONCURRENCY = 10;
  public static final int DEFAULT_MAX_OUTSTANDING = 10_000;

  public LoadOptions {
    headers = List.copyOf(headers);
    body = body.clone();
  }

  /** The request body (a copy). */
  @Override
  public byte[] body() {
    return body.clone();
  }

  /** A builder for an open loop: steady 200 req/s for 60 s by default. */
  public static Builder builder(String url) {
    return new Builder(url);
  }

  /** True for a closed loop ({@code --requests}). */
  public boolean closedLoop() {
    return requests > 0;
  }

  /** Seconds the open-loop schedule runs. */
  public double durationSeconds() {
    return duration.toNanos() / 1e9;
  }

  /** The open-loop rate curve. */
  public RatePattern ratePattern() {
    return trace != null ? trace : pattern.create(rate, durationSeconds(), seed);
  }

  /** The open loop's traffic in a few words: {@code steady at 200 req/s}, or the trace replayed. */
  public String traffic() {
    return trace != null
        ? trace.describe() + String.format(Locale.ROOT, " (mean %.4g req/s)", rate)
        : pattern.label() + " at " + (rate == Math.rint(rate) ? String.valueOf((long) rate) : String.valueOf(rate)) + " req/s";
  }

  /** Fills in defaults and checks every value, throwing {@link IllegalArgumentException} with a clear message. */
  public static final class Builder {
    private final String url;
    private String method = "GET";
    private final List<Map.Entry<String, String>> headers = new ArrayList<>();
    private byte[] body = new byte[0];
    private boolean cookieJar;
    private Duration timeout = Duration.ofSeconds(10);
    private TrafficPattern pattern = TrafficPattern.STEADY;
    private double rate = 200;
    private Duration duration = Duration.ofSeconds(60);
    private long seed = 1;
    private long requests;
    private Integer connections;
    private int maxOutstanding = DEFAULT_MAX_OUTSTANDING;
    private int threads = Math.max(1, Runtime.getRuntime().availableProcessors());
    private String servedByHeader = "X-Served-By";
    private Duration warmUp = Duration.ZERO;
    private RateTrace trace;
    private RequestTargets targets;

    private Builder(String url) {
      this.url = url;
    }

    public Builder method(String v) {
      method = v;
      return this;
    }

    /** Adds a request header; may be called more than once for the same name. */
    public Builder header(String name, String value) {
      headers.add(Map.entry(name, value));
      return this;
    }

    public Builder body(byte[] v) {
      body = v.clone();
      return this;
    }

    public Builder cookieJar(boolean v) {
      cookieJar = v;
      return this;
    }

    public Builder timeout(Duration v) {
      timeout = v;
      return this;
    }

    public Builder pattern(TrafficPattern v) {
      pattern = v;
      return this;
    }

    public Builder rate(double v) {
      rate = v;
      return this;
    }

    public Builder duration(Duration v) {
      duration = v;
      return this;
    }

    public Builder seed(long v) {
      seed = v;
      return this;
    }

    /** Switches to a closed loop of {@code v} requests. */
    public Builder requests(long v) {
      if (v <= 0) {
        throw new IllegalArgumentException("requests must be at least 1, got " + v);
      }
      requests = v;
      return this;
    }

    /** The most keep-alive connections in an open loop, the virtual clients in a closed loop. */
    public Builder connections(int v) {
      connections = v;
      return this;
    }

    public Builder maxOutstanding(int v) {
      maxOutstanding = v;
      return this;
    }

    /** Event-loop threads driving the connections (default: one per core). */
    public Builder threads(int v) {
      threads = v;
      return this;
    }

    /** Response header whose values split the result (default {@code X-Served-By}). */
    public Builder servedByHeader(String v) {
      servedByHeader = v;
      return this;
    }

    /** Replays {@code v} instead of a pattern: the rate and duration come from it. */
    /** Sends the requests to these targets in turn (GETs of an access log) instead of the URL's path. */
    public Builder targets(RequestTargets v) {
      targets = v;
      return this;
    }

    public Builder trace(RateTrace v) {
      trace = v;
      return this;
    }

    /** Loads a throwaway local server for this long before the run (default: no warm-up). */
    public Builder warmUp(Duration v) {
      warmUp = v;
      return this;
    }

    public LoadOptions build() {
      URI uri = parseUrl(url);
      String m = method.trim().toUpperCase(Locale.ROOT);
      if (!m.matches("[A-Z]+")) {
        throw new IllegalArgumentException("method must be a word such as GET or POST, got '" + method + "'");
      }
      if (targets != null && (!m.equals("GET") || body.length > 0)) {
        throw new IllegalArgumentException("--trace-targets sends the log's GETs: no --method " + m + " or body with it");
      }
      for (Map.Entry<String, String> h : headers) {
        RequestTemplate.checkHeader(h.getKey(), h.getValue());
        if (cookieJar && h.getKey().trim().equalsIgnoreCase("cookie")) {
          throw new IllegalArgumentException("a Cookie header cannot be combined with the cookie jar");
        }
      }
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("timeout must be positive, got " + timeout);
      }
      int conns = connections != null ? connections
          : requests > 0 ? DEFAULT_CONCURRENCY : Math.min(DEFAULT_CONNECTIONS, Math.max(1, maxOutstanding));
      if (conns < 1 || conns > 100_000) {
        throw new IllegalArgumentException(
            (requests > 0 ? "concurrency" : "connections") + " must be between 1 and 100000, got " + conns);
      }
      if (!servedByHeader.matches("[!#$%&'*+.^_`|~0-9A-Za-z-]+")) {
        throw new IllegalArgumentException("bad served-by header name '" + servedByHeader + "'");
      }
      if (warmUp.isNegative()) {
        throw new IllegalArgumentException("warm-up must not be negative, got " + warmUp);
      }
      if (threads < 1) {
        throw new IllegalArgumentException("threads must be at least 1, got " + threads);
      }
      if (requests == 0 && trace != null) {
        duration = Duration.ofNanos(Math.max(1, Math.round(trace.durationSeconds() * 1e9)));
        rate = trace.meanRate();
        if (!(rate > 0)) {
          throw new IllegalArgumentException("--trace: " + trace.describe() + " asks for no request at all");
        }
      }
      if (requests == 0) {
        if (!(rate > 0) || Double.isInfinite(rate)) {
          throw new IllegalArgumentException("rate must be a positive number of requests per second, got " + rate);
        }
        if (duration.isNegative() || duration.isZero()) {
          throw new IllegalArgumentException("duration must be positive, got " + duration);
        }
        if (maxOutstanding < conns) {
          throw new IllegalArgumentException(
              "max outstanding requests (" + maxOutstanding + ") must be at least the number of connections (" + conns + ")");
        }
      }
      return new LoadOptions(
          uri, m, headers, body, cookieJar, timeout, pattern, rate, duration, seed, requests, conns,
          maxOutstanding, Math.min(threads, conns), servedByHeader, warmUp, requests == 0 ? trace : null, targets);
    }

    private static URI parseUrl(String url) {
      URI uri;
      try {
        uri = new URI(url.trim());
      } catch (URISyntaxException e) {
        throw new IllegalArgumentException("bad URL '" + url + "': " + e.getReason());
      }
      if (uri.getScheme() == null || !uri.getScheme().equalsIgnoreCase("http")) {
        throw new IllegalArgumentException("bad URL '" + url + "': only http:// URLs are supported");
      }
      if (uri.getHost() == null || uri.getHost().isEmpty()) {
        throw new IllegalArgumentException("bad URL '" + url + "': no host");
      }
      if (uri.getPort() == 0 || uri.getPort() > 65535) {
        throw new IllegalArgumentException("bad URL '" + url + "': port must be 1-65535");
      }
      return uri;
    }
  }
}
