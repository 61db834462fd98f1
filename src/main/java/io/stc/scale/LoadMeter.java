package io.stc.scale;

import io.stc.pool.Backend;
import io.stc.scale.ScaleSnapshot.InstanceLoad;
import io.stc.scale.ScaleSnapshot.Load;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Measures the managed instances into a {@link ScaleSnapshot}. Between two measurements it samples
 * every instance's requests in flight often (see {@link #sample}), so concurrency is a time
 * average rather than a point; arrivals come from what left and what stayed: every request that
 * wanted an instance was finished by one, turned away, or is still in flight or queued. Used from
 * the autoscaler's thread only.
 */
final class LoadMeter {
  /** An instance must have been sampled for this share of an interval to count as one that ran all of it. */
  private static final double WHOLE_INTERVAL = 0.9;
  /** Weight of the newest start-up time in the running estimate. */
  private static final double STARTUP_WEIGHT = 0.3;

  /** What one backend did since the last measurement. */
  private static final class Tally {
    /** Its request count at the last measurement; 0 for one that joined since, which counted all of its requests since. */
    long requestsBefore;
    /** Its requests in flight at the last measurement; 0 for one that joined since, idle when it did. */
    int inFlightBefore;
    double inFlightNanos;
    long sampledNanos;
  }

  private final LatencyWindow latency;
  private final QueueGauge queue;
  private final Supplier<FleetLoad> fleet;
  private Map<Backend, Tally> tallies = new HashMap<>();
  private long lastNanos;
  private long lastSampleNanos;
  private boolean measured;
  private long turnedAwaySeen;
  private long dequeuedSeen;
  private long waitNanosSeen;
  private int inSystemSeen;
  private double startupSeconds;

  /**
   * @param queue this stc's queue
   * @param fleet what the other stc replicas of a fleet put on the same instances
   */
  LoadMeter(LatencyWindow latency, QueueGauge queue, Supplier<FleetLoad> fleet) {
    this.latency = latency;
    this.queue = queue;
    this.fleet = fleet;
  }

  /** Starts measuring afresh: the next measurement covers the time from now. */
  void reset(Collection<ManagedInstance> instances, long nowNanos) {
    lastNanos = nowNanos;
    lastSampleNanos = nowNanos;
    tallies = new HashMap<>();
    measured = false;
    measure(instances, nowNanos);
  }

  /** An instance the autoscaler started came into rotation this long after it was asked for. */
  void startupObserved(long nanos) {
    double seconds = nanos / 1e9;
    startupSeconds = startupSeconds == 0 ? seconds : startupSeconds + STARTUP_WEIGHT * (seconds - startupSeconds);
  }

  /** Adds the time since the last sample, at the requests in flight now, to each ready instance's tally. */
  void sample(Collection<ManagedInstance> instances, long nowNanos) {
    long dt = nowNanos - lastSampleNanos;
    lastSampleNanos = nowNanos;
    if (dt <= 0) {
      return;
    }
    for (ManagedInstance m : instances) {
      if (m.ready()) {
        Tally t = tallies.computeIfAbsent(m.backend, b -> new Tally());
        t.inFlightNanos += (double) m.backend.stats().inFlight() * dt;
        t.sampledNanos += dt;
      }
    }
  }

  ScaleSnapshot measure(Collection<ManagedInstance> instances, long nowNanos) {
    sample(instances, nowNanos);
    long intervalNanos = nowNanos - lastNanos;
    double seconds = intervalNanos / 1e9;
    lastNanos = nowNanos;
    int ready = 0;
    int pending = 0;
    int inFlight = 0;
    int inSystem = 0;
    long finished = 0;
    double inFlightNanos = 0;
    List<InstanceLoad> whole = new ArrayList<>();
    Map<Backend, Tally> next = new HashMap<>();
    long oldestPendingNanos = 0;
    for (ManagedInstance m : instances) {
      if (m.pending()) {
        pending++;
        oldestPendingNanos = Math.max(oldestPendingNanos, nowNanos - m.createdNanos);
      }
      if (m.backend == null || m.phase == ManagedInstance.Phase.STOPPING) {
        continue;
      }
      int now = m.backend.stats().inFlight();
      inSystem += now;
      long total = m.backend.stats().requests();
      Tally t = tallies.get(m.backend);
      // A reset of the counters reads as no requests rather than a negative rate.
      long done = !measured ? 0 : t == null ? total : Math.max(0, total - t.requestsBefore);
      finished += done;
      if (m.ready()) {
        ready++;
        inFlight += now;
        if (t != null) {
          inFlightNanos += t.inFlightNanos;
          if (measured && t.sampledNanos >= WHOLE_INTERVAL * intervalNanos && seconds > 0) {
            whole.add(new InstanceLoad(m.name(), t.inFlightNanos / t.sampledNanos, done / (t.sampledNanos / 1e9), now - t.inFlightBefore));
          }
        }
      }
      Tally fresh = new Tally();
      fresh.requestsBefore = total;
      fresh.inFlightBefore = now;
      next.put(m.backend, fresh);
    }
    for (Map.Entry<Backend, Tally> gone : tallies.entrySet()) {
      if (measured && !next.containsKey(gone.getKey())) {
        // Stopped since the last measurement: what it finished before it went still counts.
        finished += Math.max(0, gone.getKey().stats().requests() - gone.getValue().requestsBefore);
      }
    }
    tallies = next;

    int queued = Math.max(0, queue.depth());
    long turnedAway = queue.turnedAway();
    long dequeued = queue.dequeued();
    long waitNanos = queue.waitNanos();
    inSystem += queued;
    LatencyWindow.Reading reading = latency.read();
    FleetLoad others = fleet.get();
    int othersInFlight = Math.max(0, others.inFlight());
    queued += Math.max(0, others.queueDepth());
    Load load = Load.NONE;
    if (measured && seconds > 0) {
      long arrivals = Math.max(0, finished + (turnedAway - turnedAwaySeen) + inSystem - inSystemSeen);
      double arrivalRate = arrivals / seconds;
      double concurrency = inFlightNanos / intervalNanos;
      if (othersInFlight > 0 && reading.meanMillis() > 0) {
        // The other replicas' share, by Little's law: their requests in flight over the latency seen here.
        arrivalRate += othersInFlight / (reading.meanMillis() / 1000);
        concurrency += othersInFlight;
      }
      long left = dequeued - dequeuedSeen;
      double wait = left > 0 ? (waitNanos - waitNanosSeen) / 1e6 / left : 0;
      // A start-up still under way proves start-ups take that long now, whatever the last ones took
      // (one instance alone may start in under a second; a dozen started together on the same
      // cores, ten times that), so the policy does not ask again for a backlog they will drain.
      double startup = startupSeconds > 0 ? Math.max(startupSeconds, oldestPendingNanos / 1e9) : 0;
      load = new Load(seconds, arrivalRate, finished / seconds, concurrency, reading.meanMillis(), reading.count(),
          wait, startup, whole, reading.histogram());
    }
    measured = true;
    turnedAwaySeen = turnedAway;
    dequeuedSeen = dequeued;
    waitNanosSeen = waitNanos;
    inSystemSeen = inSystem;
    double rps = seconds > 0 ? finished / seconds / Math.max(1, ready) : 0;
    return new ScaleSnapshot(ready, pending, inFlight + othersInFlight, queued, rps, reading.p99Millis(), load);
  }
}
