package io.stc.scale;

import static org.assertj.core.api.Assertions.assertThat;

import io.stc.ManualClock;
import io.stc.config.AutoscaleConfig;
import io.stc.config.ConfigLoader;
import io.stc.pool.Backend;
import io.stc.pool.BackendState;
import io.stc.pool.Upstream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AutoscalerTest {
  private static final Map<String, String> BASE = Map.of(
      "enabled", "true", "policy", "threshold", "min", "2", "max", "4", "max_inflight", "10",
      "cooldown_down", "0s", "start_timeout", "20s", "provider", "{max_starting: 0}");

  @TempDir Path dir;
  private final ManualClock clock = new ManualClock();
  private final Upstream upstream = new Upstream(clock);
  private final FakeProvider provider = new FakeProvider();
  private final List<ScaleEvent> events = new CopyOnWriteArrayList<>();
  private final AtomicInteger queue = new AtomicInteger();
  private Autoscaler autoscaler;

  @AfterEach
  void close() throws InterruptedException {
    if (autoscaler != null) {
      autoscaler.close();
    }
  }

  /** Begins with the base config, {@code overrides} given as key, value, key, value... */
  private List<CompletableFuture<Boolean>> begin(String... overrides) throws Exception {
    Map<String, String> keys = new TreeMap<>(BASE);
    for (int i = 0; i < overrides.length; i += 2) {
      keys.put(overrides[i], overrides[i + 1]);
    }
    StringBuilder yaml = new StringBuilder("autoscale:\n");
    keys.forEach((k, v) -> yaml.append("  ").append(k).append(": ").append(v).append('\n'));
    AutoscaleConfig config = load(yaml.toString());
    autoscaler = new Autoscaler(config, upstream, provider, true, clock, QueueGauge.of(queue::get));
    autoscaler.addListener(events::add);
    return autoscaler.begin();
  }

  private AutoscaleConfig load(String yaml) throws IOException {
    return ConfigLoader.load(Files.writeString(dir.resolve("stc.yaml"), yaml)).autoscale();
  }

  /** Completes the pending starts and lets the autoscaler put them in the pool. */
  private List<Instance> startAll() throws InterruptedException {
    List<Instance> started = provider.startAll();
    autoscaler.sync();
    return started;
  }

  /** What the health checker would do at a first passing probe. */
  private void passHealthChecks() throws InterruptedException {
    for (Backend b : upstream.pool().all()) {
      if (b.state() == BackendState.DOWN) {
        upstream.setState(b, BackendState.UP, "test probe passed");
      }
    }
    autoscaler.sync();
  }

  private void tick() throws InterruptedException {
    clock.advance(Duration.ofSeconds(1));
    autoscaler.tickNow();
  }

  private Backend backend(String id) {
    return upstream.pool().find(id);
  }

  private void load(String id, int inFlight) {
    Backend b = backend(id);
    while (b.stats().inFlight() < inFlight) {
      b.stats().requestStarted();
    }
    while (b.stats().inFlight() > inFlight) {
      b.stats().requestFinished(1_000_000, false);
    }
  }

  private List<String> kinds() {
    return events.stream().map(e -> e.kind() + " " + e.instance()).toList();
  }

  @Test
  void aScheduleWindowOpenAtTheStartStartsItsMinAndTheStatusShowsIt() throws Exception {
    // Opened at this minute's start, closed only at midnight on a 29 February: open now (the wall clock's).
    begin("schedule", "[{start: \"* * * * *\", end: \"0 0 29 2 *\", min: 3, timezone: UTC}]");
    assertThat(provider.starting).containsOnlyKeys("auto-1", "auto-2", "auto-3");
    assertThat(autoscaler.status().min()).isEqualTo(3);
    assertThat(events).first().satisfies(e -> assertThat(e.reason()).isEqualTo("min 3: schedule * * * * * .. 0 0 29 2 * (UTC)"));
  }

  @Test
  void instancesHandedOverFromAnOlderSpecAreReplacedOneAtATimeNeverBelowThePool() throws Exception {
    provider.spec = "v2";
    Map<String, String> keys = new TreeMap<>(BASE);
    StringBuilder yaml = new StringBuilder("autoscale:\n");
    keys.forEach((k, v) -> yaml.append("  ").append(k).append(": ").append(v).append('\n'));
    autoscaler = new Autoscaler(load(yaml.toString()), upstream, provider, true, clock, QueueGauge.of(queue::get))
        .adopting(List.of(
            new Handover(new Instance("auto-1", "127.0.0.1", 31001), "fake auto-1", "v1"),
            new Handover(new Instance("auto-2", "127.0.0.1", 31002), "fake auto-2", "v1")));
    autoscaler.addListener(events::add);
    autoscaler.begin();
    assertThat(provider.starting).as("the two handed over are min: none started").isEmpty();
    passHealthChecks();
    autoscaler.tickNow();
    List<String> serving = new ArrayList<>();
    // Each round: one more instance, admitted; then the outdated one it replaces drained and stopped.
    for (int round = 0; round < 2; round++) {
      tick();
      assertThat(provider.starting).as("round %d", round).hasSize(1);
      String next = provider.starting.keySet().iterator().next();
      assertThat(next).isEqualTo("auto-" + (3 + round));
      tick();
      assertThat(provider.starting).as("one at a time").hasSize(1);
      startAll();
      passHealthChecks();
      tick();
      assertThat(upstream.pool().availableCount()).as("round %d: the new one serves before an old one goes", round).isEqualTo(2);
      tick();
      autoscaler.checkDrainsNow();
      autoscaler.checkDrainsNow();
      autoscaler.sync();
      serving.add(next);
      assertThat(upstream.pool().available()).as("round %d", round).extracting(Backend::id)
          .containsExactlyInAnyOrderElementsOf(round == 0 ? List.of("auto-2", "auto-3") : List.of("auto-3", "auto-4"));
    }
    tick();
    tick();
    assertThat(provider.starting).as("nothing outdated is left").isEmpty();
    assertThat(provider.stopped).extracting(Instance::name).containsExactly("auto-1", "auto-2");
    assertThat(events).filteredOn(e -> e.kind() == ScaleEvent.Kind.SCALED_DOWN).extracting(ScaleEvent::reason)
        .allMatch(r -> r.startsWith("outdated, replaced by auto-") || r.contains("(draining"));
  }

  @Test
  void startsMinInstancesWhichJoinDownAndAreAdmittedByTheirFirstPassingCheck() throws Exception {
    List<CompletableFuture<Boolean>> admitted = begin();
    assertThat(provider.starting).containsOnlyKeys("auto-1", "auto-2");
    assertThat(autoscaler.status().pending()).isEqualTo(2);

    startAll();
    autoscaler.tickNow();
    assertThat(upstream.pool().all()).extracting(Backend::id).containsExactly("auto-1", "auto-2");
    assertThat(upstream.pool().all()).allMatch(b -> b.state() == BackendState.DOWN);
    assertThat(admitted).noneMatch(CompletableFuture::isDone);

    passHealthChecks();
    autoscaler.tickNow();
    assertThat(admitted).allMatch(f -> f.getNow(false));
    AutoscalerStatus s = autoscaler.status();
    assertThat(s).extracting(AutoscalerStatus::policy, AutoscalerStatus::current, AutoscalerStatus::pending, AutoscalerStatus::desired)
        .containsExactly("threshold", 2, 0, 2);
    assertThat(kinds()).containsExactly("SCALED_UP auto-1", "SCALED_UP auto-2", "READY auto-1", "READY auto-2");
    assertThat(events.get(0).message()).isEqualTo("Scaled UP: added auto-1 (total 1): min 2");
  }

  @Test
  void scalesUpOnLoadAndCountsAWarmingInstanceAsCapacity() throws Exception {
    begin();
    startAll();
    passHealthChecks();
    load("auto-1", 8);
    load("auto-2", 7);

    tick();
    ScaleEvent up = events.get(events.size() - 1);
    assertThat(up.message()).isEqualTo(
        "Scaled UP: added auto-3 (total 3): utilization 75% (in-flight+queued 15 / capacity 20) > 70%");
    startAll();
    tick();
    tick();
    assertThat(provider.starting).as("no second start while auto-3 warms up").isEmpty();
    assertThat(autoscaler.status().pending()).isEqualTo(1);
    assertThat(backend("auto-3").state()).isEqualTo(BackendState.DOWN);

    passHealthChecks();
    queue.set(20);
    tick();
    assertThat(events.get(events.size() - 1).reason()).contains("in-flight+queued 35 / capacity 30");
    assertThat(provider.starting).containsOnlyKeys("auto-4");
    startAll();
    passHealthChecks();
    tick();
    assertThat(provider.starting).as("max 4").isEmpty();
    assertThat(autoscaler.status().current()).isEqualTo(4);
  }

  @Test
  void scaleDownDrainsTheLeastBusyInstanceUntilItsRequestsFinish() throws Exception {
    begin("min", "1");
    startAll();
    passHealthChecks();
    load("auto-1", 9);
    tick();
    startAll();
    passHealthChecks();
    autoscaler.tickNow();
    load("auto-2", 2);
    load("auto-1", 3);
    load("auto-2", 1);

    tick();
    // 4 of 20 = 20% < 30%: as fast as the other (1 ms a request), the one with a single request in flight goes.
    assertThat(backend("auto-2").state()).isEqualTo(BackendState.DRAINING);
    assertThat(events.get(events.size() - 1).message()).startsWith("Scaled DOWN: removing auto-2 (total 1): utilization 20%");
    autoscaler.checkDrainsNow();
    autoscaler.checkDrainsNow();
    assertThat(backend("auto-2")).as("still serving its request").isNotNull();
    assertThat(provider.stopped).isEmpty();

    load("auto-2", 0);
    autoscaler.checkDrainsNow();
    assertThat(backend("auto-2")).as("one idle check is not enough").isNotNull();
    autoscaler.checkDrainsNow();
    autoscaler.tickNow();
    assertThat(backend("auto-2")).isNull();
    assertThat(provider.stopped).extracting(Instance::name).containsExactly("auto-2");
    assertThat(events.get(events.size() - 1).message()).startsWith("auto-2 stopped (total 1): drained in");
  }

  @Test
  void scaleDownKeepsTheFasterInstanceHoweverManyRequestsItHasInFlight() throws Exception {
    begin("min", "1");
    startAll();
    passHealthChecks();
    load("auto-1", 9);
    tick();
    startAll();
    passHealthChecks();
    autoscaler.tickNow();
    load("auto-1", 1);
    // auto-2 took 5 ms a request, auto-1 1 ms; auto-2 has more in flight (as a slow one does).
    Backend slow = backend("auto-2");
    slow.stats().requestStarted();
    slow.stats().requestFinished(5_000_000, false);
    load("auto-2", 3);

    tick();
    assertThat(backend("auto-2").state()).as("the slower one goes").isEqualTo(BackendState.DRAINING);
    assertThat(backend("auto-1").state()).isEqualTo(BackendState.UP);
  }

  @Test
  void anInstanceThatFinishedNothingYetIsNotTakenForTheFastest() throws Exception {
    begin("min", "1");
    startAll();
    passHealthChecks();
    load("auto-1", 9);
    tick();
    startAll();
    passHealthChecks();
    autoscaler.tickNow();
    // auto-1 finished requests at 1 ms; auto-2 none yet. Equal in flight: the newest goes, as of equals.
    load("auto-1", 1);
    load("auto-2", 1);

    tick();
    assertThat(backend("auto-2").state()).isEqualTo(BackendState.DRAINING);
    assertThat(backend("auto-1").state()).isEqualTo(BackendState.UP);
  }

  @Test
  void drainTimeoutStopsAnInstanceWhoseRequestsNeverFinish() throws Exception {
    begin("min", "1", "drain_timeout", "5s");
    startAll();
    passHealthChecks();
    load("auto-1", 9);
    tick();
    startAll();
    passHealthChecks();
    load("auto-1", 2);
    load("auto-2", 2);
    tick();
    String victim = upstream.pool().all().stream().filter(b -> b.state() == BackendState.DRAINING).findFirst().orElseThrow().id();
    clock.advance(Duration.ofSeconds(4));
    autoscaler.checkDrainsNow();
    assertThat(provider.stopped).isEmpty();
    clock.advance(Duration.ofSeconds(1));
    autoscaler.checkDrainsNow();
    autoscaler.tickNow();
    assertThat(provider.stopped).extracting(Instance::name).containsExactly(victim);
    assertThat(events.get(events.size() - 1).reason()).isEqualTo("drain_timeout 5s passed with 2 request(s) still in flight");
  }

  @Test
  void neverScalesBelowMin() throws Exception {
    begin();
    startAll();
    passHealthChecks();
    for (int i = 0; i < 5; i++) {
      tick();
    }
    assertThat(upstream.pool().all()).hasSize(2).allMatch(b -> b.state() == BackendState.UP);
    assertThat(autoscaler.status().desired()).isEqualTo(2);
  }

  @Test
  void aCrashedInstanceIsRemovedAndReplaced() throws Exception {
    begin();
    List<Instance> first = startAll();
    passHealthChecks();
    autoscaler.tickNow();

    provider.crash(first.get(0));
    autoscaler.sync();
    assertThat(backend("auto-1")).isNull();
    assertThat(kinds()).containsSubsequence("CRASHED auto-1", "SCALED_UP auto-3");
    assertThat(events.stream().filter(e -> e.kind() == ScaleEvent.Kind.SCALED_UP && e.instance().equals("auto-3")).findFirst().orElseThrow().reason())
        .isEqualTo("replacing auto-1, which exited on its own");
    startAll();
    passHealthChecks();
    autoscaler.tickNow();
    assertThat(upstream.pool().all()).extracting(Backend::id).containsExactlyInAnyOrder("auto-2", "auto-3");
  }

  @Test
  void aFailedStartIsRetriedWithBackoff() throws Exception {
    begin("min", "1");
    provider.failAll("no such command");
    autoscaler.sync();
    assertThat(events.get(events.size() - 1).message()).isEqualTo(
        "auto-1 failed (total 0): could not start: no such command; next try in 1s");
    clock.advance(Duration.ofMillis(500));
    autoscaler.tickNow();
    assertThat(provider.starting).isEmpty();
    clock.advance(Duration.ofMillis(500));
    autoscaler.tickNow();
    assertThat(provider.starting).containsOnlyKeys("auto-2");
    provider.failAll("still missing");
    autoscaler.sync();
    assertThat(events.get(events.size() - 1).reason()).endsWith("next try in 2s");
  }

  @Test
  void anInstanceThatNeverPassesAHealthCheckIsStoppedAfterStartTimeout() throws Exception {
    begin("min", "1");
    startAll();
    autoscaler.tickNow();
    clock.advance(Duration.ofSeconds(19));
    autoscaler.tickNow();
    assertThat(provider.stopped).isEmpty();
    clock.advance(Duration.ofSeconds(1));
    autoscaler.tickNow();
    autoscaler.tickNow();
    assertThat(provider.stopped).extracting(Instance::name).containsExactly("auto-1");
    assertThat(kinds()).contains("FAILED auto-1");
    assertThat(provider.starting).as("replaced").containsOnlyKeys("auto-2");
  }

  @Test
  void aScaleDownCancelsAnInstanceStillStarting() throws Exception {
    // The step policies hold while an instance starts; this one does not.
    begin("min", "1", "policy", "concurrency", "target", "10", "utilization", "1", "stable_window", "1s", "panic_window", "1s");
    startAll();
    passHealthChecks();
    load("auto-1", 15);
    tick();
    assertThat(provider.starting).containsOnlyKeys("auto-2");
    load("auto-1", 0);
    tick();
    assertThat(kinds()).contains("SCALED_DOWN auto-2");
    startAll();
    autoscaler.tickNow();
    assertThat(backend("auto-2")).isNull();
    assertThat(provider.stopped).extracting(Instance::name).containsExactly("auto-2");
  }

  @Test
  void atMostMaxStartingStartAtOnceAndTheRestStartInTurnAsEachComesIntoRotationOrFails() throws Exception {
    List<CompletableFuture<Boolean>> admitted = begin("min", "4", "max", "6", "provider", "{max_starting: 2}");
    assertThat(provider.starting).containsOnlyKeys("auto-1", "auto-2");
    assertThat(autoscaler.status().pending()).as("the waiting ones count as asked for").isEqualTo(4);
    assertThat(kinds()).as("a scale-up is announced when it starts").containsExactly("SCALED_UP auto-1", "SCALED_UP auto-2");

    clock.advance(Duration.ofSeconds(3));
    startAll();
    assertThat(provider.starting).as("listening is not in rotation: they still take their slots").isEmpty();
    upstream.setState(backend("auto-1"), BackendState.UP, "test probe passed");
    autoscaler.sync();
    autoscaler.sync();
    assertThat(provider.starting).containsOnlyKeys("auto-3");
    assertThat(events.get(events.size() - 1).message())
        .isEqualTo("Scaled UP: added auto-3 (total 4): min 4; after 3s waiting for a start slot");

    provider.failAll("no such image");
    autoscaler.sync();
    autoscaler.sync();
    assertThat(provider.starting).as("a failed start frees its slot too").containsOnlyKeys("auto-4");
    clock.advance(Duration.ofSeconds(1));
    startAll();
    passHealthChecks();
    autoscaler.sync();
    assertThat(admitted.get(0).getNow(null)).isTrue();
    assertThat(admitted.get(2).getNow(null)).isFalse();
    assertThat(events).filteredOn(e -> e.kind() == ScaleEvent.Kind.READY).extracting(ScaleEvent::instance, ScaleEvent::reason)
        .contains(org.assertj.core.groups.Tuple.tuple("auto-4", "serving on 127.0.0.1:20002 after 1s (asked for 4s ago)"));
  }

  @Test
  void aScaleDownTakesAnInstanceWaitingForAStartSlotFirstAndNeverStartsIt() throws Exception {
    begin("min", "1", "policy", "concurrency", "target", "10", "utilization", "1", "stable_window", "1s", "panic_window", "1s",
        "provider", "{max_starting: 1}");
    startAll();
    passHealthChecks();
    load("auto-1", 25);
    tick();
    assertThat(provider.starting).containsOnlyKeys("auto-2");
    assertThat(autoscaler.status().pending()).isEqualTo(2);
    load("auto-1", 0);
    tick();
    assertThat(autoscaler.status().current()).isEqualTo(2);
    startAll();
    passHealthChecks();
    autoscaler.sync();
    assertThat(provider.starting).as("auto-3 was let go while it waited").isEmpty();
    assertThat(kinds()).noneMatch(k -> k.endsWith("auto-3"));
    assertThat(upstream.pool().all()).extracting(Backend::id).containsExactlyInAnyOrder("auto-1", "auto-2");
  }

  @Test
  void aStartTheProviderNeverEndsGivesUpItsSlotAfterStartTimeout() throws Exception {
    begin("min", "1", "provider", "{max_starting: 1}");
    assertThat(provider.starting).containsOnlyKeys("auto-1");
    clock.advance(Duration.ofSeconds(19));
    autoscaler.tickNow();
    assertThat(kinds()).containsExactly("SCALED_UP auto-1");
    clock.advance(Duration.ofSeconds(1));
    autoscaler.tickNow();
    autoscaler.sync();
    autoscaler.tickNow();
    assertThat(events).filteredOn(e -> e.kind() == ScaleEvent.Kind.FAILED).extracting(ScaleEvent::message)
        .containsExactly("auto-1 failed (total 0): the provider did not start it within start_timeout 20s; stopped if it still comes up");
    assertThat(provider.starting).as("its replacement has the slot").containsOnlyKeys("auto-1", "auto-2");

    List<Instance> late = startAll();
    passHealthChecks();
    autoscaler.tickNow();
    assertThat(provider.stopped).extracting(Instance::name).containsExactly("auto-1");
    assertThat(upstream.pool().all()).extracting(Backend::id).containsExactly("auto-2");
    assertThat(late).hasSize(2);
  }

  @Test
  void closingRemovesItsInstancesAndClosesTheProvider() throws Exception {
    begin();
    startAll();
    passHealthChecks();
    autoscaler.tickNow();
    autoscaler.close();
    assertThat(upstream.pool().all()).isEmpty();
    assertThat(provider.closed).isTrue();
  }
}
