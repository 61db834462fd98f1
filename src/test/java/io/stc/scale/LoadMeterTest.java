package io.stc.scale;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.stc.pool.Backend;
import io.stc.pool.BackendState;
import io.stc.scale.ScaleSnapshot.InstanceLoad;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What the load meter tells the policies about each instance, on a clock the test moves. */
class LoadMeterTest {
  private static final long SECOND = 1_000_000_000L;

  private static ManagedInstance active(String name) {
    ManagedInstance m = new ManagedInstance(name, 0);
    m.backend = new Backend(name, "127.0.0.1", 1, 1, BackendState.UP);
    m.launched = true;
    m.phase(ManagedInstance.Phase.ACTIVE, 0);
    return m;
  }

  private static void serve(ManagedInstance m, int requests) {
    for (int i = 0; i < requests; i++) {
      m.backend.stats().requestStarted();
      m.backend.stats().requestFinished(50_000_000L, false);
    }
  }

  @Test
  void eachInstanceReportsWhatItFinishedAndHowItsRequestsInFlightChanged() {
    ManagedInstance filling = active("filling");
    ManagedInstance emptying = active("emptying");
    List<ManagedInstance> all = List.of(filling, emptying);
    // Requests before the first measurement are not the interval's.
    serve(filling, 50);
    emptying.backend.stats().requestStarted();
    emptying.backend.stats().requestStarted();
    LoadMeter meter = new LoadMeter(new LatencyWindow(), QueueGauge.NONE, () -> FleetLoad.NONE);
    meter.reset(all, 10 * SECOND);

    serve(filling, 40);
    for (int i = 0; i < 3; i++) {
      filling.backend.stats().requestStarted();
    }
    emptying.backend.stats().requestFinished(50_000_000L, false);
    emptying.backend.stats().requestFinished(50_000_000L, false);
    ScaleSnapshot s = meter.measure(all, 12 * SECOND);

    List<InstanceLoad> loads = s.load().instances();
    assertThat(loads).extracting(InstanceLoad::throughput).containsExactly(20.0, 1.0);
    assertThat(loads).extracting(InstanceLoad::inFlightChange).containsExactly(3.0, -2.0);
    assertThat(loads.get(0).passing(2)).isCloseTo(20.75, within(1e-9));
  }

  @Test
  void anInstanceStillStartingIsNotMeasured() {
    ManagedInstance starting = new ManagedInstance("starting", 0);
    starting.launched = true;
    LoadMeter meter = new LoadMeter(new LatencyWindow(), QueueGauge.NONE, () -> FleetLoad.NONE);
    meter.reset(List.of(starting), 10 * SECOND);
    ScaleSnapshot s = meter.measure(List.of(starting), 11 * SECOND);
    assertThat(s.load().instances()).isEmpty();
    assertThat(s.pending()).isEqualTo(1);
  }

  @Test
  void aStartUpStillUnderWayLongerThanTheEstimateIsTheEstimate() {
    // The last start-up took 0.8 s; one asked for 3 s ago is still starting (a dozen JVMs on two
    // cores): start-ups take 3 s at least now.
    ManagedInstance ready = active("ready");
    ManagedInstance starting = new ManagedInstance("starting", 7 * SECOND);
    starting.launched = true;
    List<ManagedInstance> all = List.of(ready, starting);
    LoadMeter meter = new LoadMeter(new LatencyWindow(), QueueGauge.NONE, () -> FleetLoad.NONE);
    meter.startupObserved(800_000_000L);
    meter.reset(all, 9 * SECOND);
    assertThat(meter.measure(all, 10 * SECOND).load().startupSeconds()).isCloseTo(3, within(1e-9));
    // Once it is in rotation, the estimate is what was measured.
    starting.backend = new Backend("starting", "127.0.0.1", 2, 1, BackendState.UP);
    starting.phase(ManagedInstance.Phase.ACTIVE, 11 * SECOND);
    assertThat(meter.measure(all, 11 * SECOND).load().startupSeconds()).isCloseTo(0.8, within(1e-9));
  }
}
