package io.stc.balance;

import io.stc.Clock;
import java.util.Arrays;
import java.util.Locale;
import java.util.function.Function;
import java.util.stream.Collectors;

/** The balancing algorithms by their configuration names. */
public enum Algorithm {
  ROUND_ROBIN("round_robin", clock -> new RoundRobin());

  private final String configName;
  private final Function<Clock, Balancer> factory;

  Algorithm(String configName, Function<Clock, Balancer> factory) {
    this.configName = configName;
    this.factory = factory;
  }

  public String configName() {
    return configName;
  }

  public Balancer newBalancer(Clock clock) {
    return factory.apply(clock);
  }

  /** The algorithm with this name (case and '-' vs '_' ignored). */
  public static Algorithm parse(String name) {
    String n = name == null ? "" : name.trim().toLowerCase(Locale.ROOT).replace('-', '_');
    for (Algorithm a : values()) {
      if (a.configName.equals(n)) {
        return a;
      }
    }
    throw new IllegalArgumentException("unknown algorithm '" + name + "'; valid: " + validNames());
  }

  public static String validNames() {
    return Arrays.stream(values()).map(Algorithm::configName).collect(Collectors.joining(", "));
  }
}
