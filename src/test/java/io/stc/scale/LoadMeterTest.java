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

  private static ManagedInstance active(String name, long readyNanos, boolean launched) {
    ManagedInstance m = new ManagedInstance(name, 0);
    m.backend = new Backend(name, "127.0.0.1", 1, 1, BackendState.UP);
    m.launched = launched;
    m.phase(ManagedInstance.Phase.ACTIVE, readyNanos);
    return m;
  }

  private static void serve(ManagedInstance m, int requests) {
    for (int i = 0; i < requests; i++) {
      m.backend.stats().requestStarted();
      m.backend.stats().requestFinished(50_000_000L, false);
    }
  }

  @Test
  void eachInstanceReportsWhatItDidAndHowLongItHasBeenInRotation() {
    ManagedInstance old = active("old", 0, true);
    ManagedInstance fresh = active("fresh", 25 * SECOND, true);
    ManagedInstance found = active("found", 25 * SECOND, false);
    List<ManagedInstance> all = List.of(old, fresh, found);
    // Requests before the first measurement are not the interval's.
    serve(old, 50);
    LoadMeter meter = new LoadMeter(new LatencyWindow(), QueueGauge.NONE, () -> FleetLoad.NONE);
    meter.reset(all, 29 * SECOND);

    serve(old, 40);
    serve(fresh, 20);
    serve(found, 5);
    ScaleSnapshot s = meter.measure(all, 30 * SECOND);

    List<InstanceLoad> loads = s.load().instances();
    assertThat(loads).extracting(InstanceLoad::throughput).containsExactly(40.0, 20.0, 5.0);
    assertThat(loads.get(0).ageSeconds()).isCloseTo(30, within(1e-9));
    assertThat(loads.get(1).ageSeconds()).isCloseTo(5, within(1e-9));
    assertThat(loads.get(2).ageSeconds()).as("found running: its age is unknown, so it counts as warm").isInfinite();
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
}
