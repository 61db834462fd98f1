package io.stc.traffic;

import io.stc.backend.InstanceModel;
import io.stc.balance.Algorithm;
import io.stc.config.AutoscaleConfig;
import io.stc.config.AutoscaleConfig.Policy;
import io.stc.config.AutoscaleConfig.ScheduleWindow;
import io.stc.config.StcConfig;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * The model a {@link Simulation} runs: the traffic, the modelled instances, the proxy's queue and
 * the autoscaler's bounds. Defaults come from the real configuration's defaults where it has them.
 *
 * @param capacityMin smallest number of requests an instance serves concurrently before it slows
 *     down; each instance draws its capacity uniformly from {@code [capacityMin, capacityMax]}
 * @param serviceTime mean service time of a request alone on an instance; each other request in
 *     flight there adds {@code serviceTime / capacity}, and the result is scaled by Exp(1) noise
 * @param startupDelay from the decision to start an instance until it takes requests
 * @param startupParallel instances that start at full speed together, 0 for any number: with n
 *     starting (the new one included) beyond it, the new one takes {@code startupDelay x n /
 *     startupParallel}, as JVMs starting on a few shared cores do (the first {@code min} are not slowed)
 * @param maxStarting the autoscaler's {@code autoscale.provider.max_starting}: the most instances
 *     it starts at once, 0 for any number (the default here, so that a run does not depend on the
 *     cores of the machine that simulates)
 * @param maxInflight requests per instance the proxy allows at once (beyond that they queue); also
 *     the autoscaler's assumed capacity per instance, as in {@code stc serve}
 * @param queueMax requests that may wait in the proxy's FIFO queue, 0 for no count bound
 * @param queueTimeout how long a request waits in the queue before it is rejected
 * @param queueMemory memory the waiting requests may hold together (each counts as a small GET)
 * @param interval how often the policy decides
 * @param meanLifetime mean time from an instance's start until it crashes (exponentially
 *     distributed); zero for instances that never crash
 * @param slo the p99 objective of the {@code slo} policy ({@code autoscale.slo.p99}); zero to derive it
 * @param noise what each service time is multiplied by
 * @param trace a recorded rate replayed instead of the pattern, or null; {@code rate} is then its
 *     mean and {@code duration} its length
 * @param schedule windows that raise {@code min}, as {@code autoscale.schedule}
 * @param startAtMillis the wall-clock time the run begins at (milliseconds since the epoch), which
 *     the schedule is read by
 */
public record SimulationOptions(
    TrafficPattern pattern,
    double rate,
    Duration duration,
    long seed,
    Policy policy,
    Algorithm algorithm,
    int capacityMin,
    int capacityMax,
    Duration serviceTime,
    Duration startupDelay,
    int startupParallel,
    int maxStarting,
    int min,
    int max,
    int maxInflight,
    int queueMax,
    Duration queueTimeout,
    long queueMemory,
    Duration interval,
    Duration meanLifetime,
    Duration slo,
    InstanceModel.Noise noise,
    RateTrace trace,
    List<ScheduleWindow> schedule,
    long startAtMillis) {

  /** Most requests (nominal rate x duration) accepted: beyond that a run would take many minutes. */
  public static final double MAX_REQUESTS = 1e9;

  /**
   * The queue's memory bound unless told otherwise: {@code stc serve}'s default is a quarter of its
   * heap, and a run must not depend on the heap of the JVM that simulates, so this is that of a
   * 4 GiB heap (the JVM's default on a machine with 16 GiB).
   */
  public static final long DEFAULT_QUEUE_MEMORY = 1L << 30;

  /** Longest run accepted: the per-second series are kept in memory. */
  public static final Duration MAX_DURATION = Duration.ofDays(7);

  public SimulationOptions {
    if (!(rate > 0) || Double.isInfinite(rate)) {
      throw new IllegalArgumentException("--rate must be a positive number of requests per second, got " + rate);
    }
    positive("--duration", duration);
    if (duration.compareTo(MAX_DURATION) > 0) {
      throw new IllegalArgumentException("--duration must be at most " + MAX_DURATION.toHours() + "h");
    }
    if (algorithm == Algorithm.RANDOM || algorithm == Algorithm.POWER_OF_TWO) {
      throw new IllegalArgumentException("--algorithm " + algorithm.configName()
          + " draws from an unseeded random source, so runs could not be repeated; choose another");
    }
    if (capacityMin < 1 || capacityMax < capacityMin) {
      throw new IllegalArgumentException("--capacity needs 1 <= MIN <= MAX, got " + capacityMin + "-" + capacityMax);
    }
    positive("--service-time", serviceTime);
    if (startupDelay.isNegative()) {
      throw new IllegalArgumentException("--startup-delay must not be negative");
    }
    if (startupParallel < 0) {
      throw new IllegalArgumentException("--startup-parallel must not be negative, got " + startupParallel);
    }
    if (maxStarting < 0) {
      throw new IllegalArgumentException("--max-starting must not be negative, got " + maxStarting);
    }
    if (min < 0 || max < 1) {
      throw new IllegalArgumentException("need --min >= 0 and --max >= 1, got --min " + min + ", --max " + max);
    }
    if (min > max) {
      throw new IllegalArgumentException("--min " + min + " is above --max " + max);
    }
    if (rate * duration.toNanos() / 1e9 > MAX_REQUESTS) {
      throw new IllegalArgumentException(String.format(Locale.ROOT,
          "--rate x --duration asks for about %.3g requests; the simulator takes at most %.0e", rate
              * duration.toNanos() / 1e9, MAX_REQUESTS));
    }
    if (maxInflight < 1) {
      throw new IllegalArgumentException("--max-inflight must be at least 1, got " + maxInflight);
    }
    if (queueMax < 0) {
      throw new IllegalArgumentException("--queue-max must not be negative, got " + queueMax);
    }
    positive("--queue-timeout", queueTimeout);
    if (queueMemory < SimulatedProxy.REQUEST_BYTES) {
      throw new IllegalArgumentException("--queue-memory must hold at least one request ("
          + SimulatedProxy.REQUEST_BYTES + " bytes), got " + queueMemory);
    }
    positive("--interval", interval);
    if (meanLifetime.isNegative()) {
      throw new IllegalArgumentException("--mtbf must not be negative");
    }
    if (slo.isNegative()) {
      throw new IllegalArgumentException("--slo must not be negative");
    }
  }

  private static void positive(String flag, Duration d) {
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(flag + " must be longer than 0");
    }
  }

  /** A builder starting from the defaults: burst at 50 req/s for 30 minutes, stc's default policy. */
  public static Builder builder() {
    return new Builder();
  }

  /** The same model under another policy, for comparisons on one trace. */
  public SimulationOptions withPolicy(Policy p) {
    return new SimulationOptions(pattern, rate, duration, seed, p, algorithm, capacityMin, capacityMax, serviceTime,
        startupDelay, startupParallel, maxStarting, min, max, maxInflight, queueMax, queueTimeout, queueMemory, interval,
        meanLifetime, slo, noise, trace, schedule, startAtMillis);
  }

  public double durationSeconds() {
    return duration.toNanos() / 1e9;
  }

  /** The arrival rate curve. */
  public RatePattern ratePattern() {
    return trace != null ? trace : pattern.create(rate, durationSeconds(), seed);
  }

  /** The traffic in a few words: {@code burst at 50 req/s}, or the trace replayed. */
  public String traffic() {
    return trace != null
        ? trace.describe() + String.format(Locale.ROOT, " (mean %.4g req/s)", rate)
        : pattern.label() + " at " + number(rate) + " req/s";
  }

  private static String number(double v) {
    return v == Math.rint(v) && Math.abs(v) < 1e15 ? String.valueOf((long) v) : String.valueOf(v);
  }

  /** Mean of the capacity an instance draws. */
  public double meanCapacity() {
    return (capacityMin + capacityMax) / 2.0;
  }

  /**
   * The autoscale section {@code stc serve} would use with these bounds, interval and policy: the
   * real defaults for everything else, the policy's default target included.
   */
  public AutoscaleConfig autoscaleConfig() {
    AutoscaleConfig d = AutoscaleConfig.defaults(maxInflight);
    Double target = AutoscaleConfig.defaultTarget(policy, d.metric(), maxInflight, d.utilization(), d.rpsUp());
    return new AutoscaleConfig(
        true, d.provider().withMaxStarting(maxStarting), policy, min, max, interval, maxInflight, target == null ? d.target() : target, d.metric(),
        d.utilization(), d.tolerance(), d.stableWindow(), d.panicWindow(), d.panicThreshold(),
        d.stabilizationWindow(), d.maxStepUp(), d.thresholdUp(), d.thresholdDown(), d.rpsUp(), d.rpsDown(),
        d.cooldownUp(), d.cooldownDown(), d.maxScaleDownRate(), d.drainTimeout(), startTimeout(d.startTimeout()), slo,
        schedule);
  }

  /**
   * The default {@code start_timeout}, or twice the longest a modelled start-up can take if that is
   * longer: a user whose instances take that long sets it so (stc gives up on a start that outlasts
   * it), and a model of slow start-ups must not read as failing ones.
   */
  private Duration startTimeout(Duration dflt) {
    int together = maxStarting > 0 ? maxStarting : max;
    double slowest = startupParallel > 0 ? Math.max(1.0, (double) together / startupParallel) : 1;
    long longest = (long) (2 * slowest * startupDelay.toNanos());
    return longest > dflt.toNanos() ? Duration.ofNanos(longest) : dflt;
  }

  /** A policy by its config name, with an error listing the valid names. */
  public static Policy parsePolicy(String name) {
    for (Policy p : Policy.values()) {
      if (p.configName().equals(name.trim().toLowerCase(Locale.ROOT))) {
        return p;
      }
    }
    StringBuilder names = new StringBuilder();
    for (Policy p : Policy.values()) {
      names.append(names.length() == 0 ? "" : ", ").append(p.configName());
    }
    throw new IllegalArgumentException("unknown policy '" + name + "', expected one of: " + names);
  }

  /** Collects the options; {@link #build()} checks them together. */
  public static final class Builder {
    private TrafficPattern pattern = TrafficPattern.BURST;
    private double rate = 50;
    private Duration duration = Duration.ofMinutes(30);
    private long seed = 1;
    private Policy policy = AutoscaleConfig.defaults().policy();
    // The pool is autoscaled: balanced as serve balances an autoscaled pool by default.
    private Algorithm algorithm = Algorithm.parse(StcConfig.AUTOSCALED_ALGORITHM);
    private int capacityMin = 2;
    private int capacityMax = 5;
    private Duration serviceTime = Duration.ofMillis(50);
    private Duration startupDelay = Duration.ofSeconds(5);
    private int startupParallel;
    private int maxStarting;
    private int min = AutoscaleConfig.defaults().min();
    private int max = AutoscaleConfig.defaults().max();
    private int maxInflight = AutoscaleConfig.defaults().maxInflight();
    private int queueMax = StcConfig.Capacity.defaults().queueMax();
    private Duration queueTimeout = StcConfig.Capacity.defaults().queueTimeout();
    private long queueMemory = DEFAULT_QUEUE_MEMORY;
    private Duration interval = AutoscaleConfig.defaults().interval();
    private Duration meanLifetime = Duration.ZERO;
    private Duration slo = AutoscaleConfig.defaults().slo();
    private RateTrace trace;
    private List<ScheduleWindow> schedule = List.of();
    private Long startAtMillis;
    private InstanceModel.Noise noise = InstanceModel.Noise.EXP;

    private Builder() {}

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

    public Builder policy(Policy v) {
      policy = v;
      return this;
    }

    public Builder algorithm(Algorithm v) {
      algorithm = v;
      return this;
    }

    public Builder capacity(int low, int high) {
      capacityMin = low;
      capacityMax = high;
      return this;
    }

    public Builder serviceTime(Duration v) {
      serviceTime = v;
      return this;
    }

    public Builder startupDelay(Duration v) {
      startupDelay = v;
      return this;
    }

    /** Instances that start at full speed together; 0 (the default) for any number. */
    public Builder startupParallel(int v) {
      startupParallel = v;
      return this;
    }

    public Builder maxStarting(int v) {
      maxStarting = v;
      return this;
    }

    public Builder min(int v) {
      min = v;
      return this;
    }

    public Builder max(int v) {
      max = v;
      return this;
    }

    public Builder maxInflight(int v) {
      maxInflight = v;
      return this;
    }

    public Builder queueMax(int v) {
      queueMax = v;
      return this;
    }

    public Builder queueTimeout(Duration v) {
      queueTimeout = v;
      return this;
    }

    public Builder queueMemory(long v) {
      queueMemory = v;
      return this;
    }

    public Builder interval(Duration v) {
      interval = v;
      return this;
    }

    public Builder meanLifetime(Duration v) {
      meanLifetime = v;
      return this;
    }

    public Builder slo(Duration v) {
      slo = v;
      return this;
    }

    public Builder noise(InstanceModel.Noise v) {
      noise = v;
      return this;
    }

    /** Windows that raise {@code min}, read by the wall clock from {@link #startAt}. */
    public Builder schedule(List<ScheduleWindow> v) {
      schedule = List.copyOf(v);
      return this;
    }

    /** The wall-clock time the run begins at: by default the trace's first time, when it has dates. */
    public Builder startAt(long epochMillis) {
      startAtMillis = epochMillis;
      return this;
    }

    /** Replays {@code v} instead of a pattern: the rate and duration come from it. */
    public Builder trace(RateTrace v) {
      trace = v;
      return this;
    }

    public SimulationOptions build() {
      if (trace != null) {
        duration = Duration.ofNanos(Math.max(1, Math.round(trace.durationSeconds() * 1e9)));
        rate = trace.meanRate();
        if (!(rate > 0)) {
          throw new IllegalArgumentException("--trace: " + trace.describe() + " asks for no request at all");
        }
        if (duration.compareTo(MAX_DURATION) > 0) {
          throw new IllegalArgumentException("--trace: " + trace.describe() + " lasts " + Math.round(trace.durationSeconds() / 3600)
              + "h; the simulator replays at most " + MAX_DURATION.toHours() + "h (--trace-start and --trace-duration choose a part)");
        }
      }
      long start;
      if (startAtMillis != null) {
        start = startAtMillis;
      } else if (trace != null && !Double.isNaN(trace.startEpochSeconds())) {
        start = Math.round(trace.startEpochSeconds() * 1000);
      } else if (!schedule.isEmpty()) {
        throw new IllegalArgumentException("--schedule needs --start-at (the date and time the run begins at), or a trace with dates");
      } else {
        start = 0;
      }
      for (ScheduleWindow w : schedule) {
        if (w.min() <= min || w.min() > max) {
          throw new IllegalArgumentException("--schedule: min " + w.min() + " must be above --min (" + min + ") and at most --max ("
              + max + ")");
        }
      }
      return new SimulationOptions(pattern, rate, duration, seed, policy, algorithm, capacityMin, capacityMax,
          serviceTime, startupDelay, startupParallel, maxStarting, min, max, maxInflight, queueMax, queueTimeout, queueMemory, interval,
          meanLifetime, slo, noise, trace, schedule, start);
    }
  }
}
