package io.stc.kubernetes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.stc.config.KubernetesConfig.Fleet;
import io.stc.kubernetes.EndpointWatch.PodEndpoint;
import io.stc.scale.FleetLoad;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The other stc replicas' load, for the leader: it finds them through the EndpointSlices of their
 * own Service and, every interval while active, asks each ready one (but itself) for
 * {@code GET /api/stats} on its admin port. Per replica it keeps the requests in flight at
 * instances (the sum of {@code backends[].in_flight}), its queue ({@code totals.queue_depth}) and,
 * per instance, in-flight requests plus {@code sticky_sessions}. A replica that does not answer
 * counts for nothing once its last answer is three intervals old.
 */
public final class FleetStats implements FleetLoad, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(FleetStats.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration TIMEOUT = Duration.ofSeconds(2);
  private static final int STALE_INTERVALS = 3;

  /** What one replica said. */
  private record Sample(long atNanos, int inFlight, int queueDepth, Map<String, Integer> perInstance) {}

  private final String namespace;
  private final Fleet fleet;
  private final String self;
  private final String token;
  private final Duration interval;
  private final EndpointWatch replicas;
  private final HttpClient http;
  private final ScheduledExecutorService timer;
  private final Map<String, Sample> samples = new ConcurrentHashMap<>();
  private final Map<String, Boolean> unreachable = new ConcurrentHashMap<>();
  private volatile Map<String, PodEndpoint> members = Map.of();
  private ScheduledFuture<?> polling;

  /**
   * @param self this replica's pod name, left out of the poll
   * @param token the admin API's bearer token (the replicas share the config), or null
   */
  public FleetStats(KubernetesClient client, String namespace, Fleet fleet, String self, String token, Duration interval) {
    this.namespace = namespace;
    this.fleet = fleet;
    this.self = self;
    this.token = token;
    this.interval = interval;
    this.replicas = new EndpointWatch(client, namespace, fleet.service(), m -> members = m);
    this.http = HttpClient.newBuilder().connectTimeout(TIMEOUT).version(HttpClient.Version.HTTP_1_1).build();
    this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "stc-fleet");
      t.setDaemon(true);
      return t;
    });
  }

  /** Starts following the replicas' endpoints; polling waits for {@link #setActive}. */
  public void start() {
    replicas.start(Duration.ofSeconds(5));
    members = replicas.current();
  }

  /** Polls while active (the leader); forgets every sample when not. */
  public synchronized void setActive(boolean active) {
    if (active && polling == null) {
      polling = timer.scheduleWithFixedDelay(this::poll, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
      log.info("summing the load of the stc replicas behind service {}/{} (admin port {})",
          namespace, fleet.service(), fleet.adminPort());
    } else if (!active && polling != null) {
      polling.cancel(false);
      polling = null;
      samples.clear();
    }
  }

  private void poll() {
    Map<String, PodEndpoint> now = members;
    samples.keySet().retainAll(now.keySet());
    for (PodEndpoint p : now.values()) {
      if (p.pod().equals(self) || !p.serving()) {
        continue;
      }
      String host = p.address().indexOf(':') >= 0 ? "[" + p.address() + "]" : p.address();
      HttpRequest.Builder req = HttpRequest.newBuilder(URI.create("http://" + host + ":" + fleet.adminPort() + "/api/stats"))
          .timeout(TIMEOUT)
          .GET();
      if (token != null) {
        req.header("Authorization", "Bearer " + token);
      }
      http.sendAsync(req.build(), HttpResponse.BodyHandlers.ofString())
          .whenComplete((resp, error) -> answered(p, resp, error));
    }
  }

  private void answered(PodEndpoint p, HttpResponse<String> resp, Throwable error) {
    String why;
    if (error != null) {
      why = ApiFailure.describe(error);
    } else if (resp.statusCode() != 200) {
      why = "HTTP " + resp.statusCode();
    } else {
      try {
        samples.put(p.pod(), parse(JSON.readTree(resp.body()), System.nanoTime()));
        if (unreachable.remove(p.pod()) != null) {
          log.info("stc replica {} answers its stats again", p.pod());
        }
        return;
      } catch (java.io.IOException | RuntimeException e) {
        why = "unreadable stats: " + e.getMessage();
      }
    }
    if (unreachable.put(p.pod(), Boolean.TRUE) == null) {
      log.warn("stc replica {} ({}:{}): no stats: {}; its load is left out until it answers",
          p.pod(), p.address(), fleet.adminPort(), why);
    }
  }

  private static Sample parse(JsonNode stats, long now) {
    int inFlight = 0;
    Map<String, Integer> per = new HashMap<>();
    for (JsonNode b : stats.path("backends")) {
      int n = b.path("in_flight").asInt(0);
      inFlight += n;
      per.merge(b.path("id").asText(), n + b.path("sticky_sessions").asInt(0), Integer::sum);
    }
    return new Sample(now, inFlight, stats.path("totals").path("queue_depth").asInt(0), per);
  }

  private Iterable<Sample> fresh() {
    long oldest = System.nanoTime() - interval.toNanos() * STALE_INTERVALS;
    return samples.values().stream().filter(s -> s.atNanos() - oldest >= 0).toList();
  }

  @Override
  public int inFlight() {
    int n = 0;
    for (Sample s : fresh()) {
      n += s.inFlight();
    }
    return n;
  }

  @Override
  public int queueDepth() {
    int n = 0;
    for (Sample s : fresh()) {
      n += s.queueDepth();
    }
    return n;
  }

  @Override
  public int load(String instance) {
    int n = 0;
    for (Sample s : fresh()) {
      n += s.perInstance().getOrDefault(instance, 0);
    }
    return n;
  }

  /** The replicas that answered within the last three intervals, for tests and logs. */
  public int answering() {
    int n = 0;
    for (Sample ignored : fresh()) {
      n++;
    }
    return n;
  }

  @Override
  public void close() {
    timer.shutdownNow();
    replicas.close();
  }
}
