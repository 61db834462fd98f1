package io.stc.traffic;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** The named rate patterns of {@code stc load --pattern}, each building its {@link RatePattern}. */
public enum TrafficPattern {
  STEADY,
  BURST,
  GRADUAL,
  RANDOM,
  SPIKE,
  SINE;

  /** The curve for a nominal {@code rate} (req/s) over {@code durationSeconds}, seeded. */
  public RatePattern create(double rate, double durationSeconds, long seed) {
    return switch (this) {
      case STEADY -> new Steady(rate);
      case BURST -> new Burst(rate, durationSeconds, seed);
      case GRADUAL -> new Gradual(rate, durationSeconds);
      case RANDOM -> new RandomWalk(rate, durationSeconds, seed);
      case SPIKE -> new Spike(rate, durationSeconds);
      case SINE -> new Sine(rate, durationSeconds);
    };
  }

  /** The lower-case name used on the command line. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Parses a pattern name, case-insensitively, with an error listing the valid names. */
  public static TrafficPattern parse(String name) {
    for (TrafficPattern p : values()) {
      if (p.name().equalsIgnoreCase(name.trim())) {
        return p;
      }
    }
    throw new IllegalArgumentException(
        "unknown pattern '" + name + "', expected one of: " + names());
  }

  /** All names, comma separated. */
  public static String names() {
    return Arrays.stream(values()).map(TrafficPattern::label).collect(Collectors.joining(", "));
  }
}
