package io.stc.balance;

import io.stc.Clock;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The balancing algorithms by their configuration names: the one way to make a {@link Balancer}, so
 * the algorithms themselves stay private to this package.
 */
public enum Algorithm {
  ROUND_ROBIN("round_robin", (clock, s) -> new RoundRobin()),
  WEIGHTED_ROUND_ROBIN("weighted_round_robin", (clock, s) -> weighted(new WeightedRoundRobin(), clock, s)),
  LEAST_CONNECTIONS("least_connections", (clock, s) -> weighted(new LeastConnections(), clock, s)),
  RANDOM("random", (clock, s) -> weighted(new WeightedRandom(), clock, s)),
  LEAST_RESPONSE_TIME("least_response_time", (clock, s) -> new LeastResponseTime(clock)),
  POWER_OF_TWO("power_of_two", (clock, s) -> weighted(new PowerOfTwoChoices(), clock, s)),
  CONSISTENT_HASH("consistent_hash", (clock, s) -> new ConsistentHash(s.hashKey())),
  /** Consistent hashing keyed by client IP, whatever hash key is configured. */
  IP_HASH("ip_hash", (clock, s) -> new ConsistentHash(HashKey.CLIENT_IP)),
  ADAPTIVE_WEIGHTED("adaptive_weighted", (clock, s) -> weighted(new AdaptiveWeighted(clock), clock, s));

  /** Makes an algorithm's balancer. */
  @FunctionalInterface
  private interface Factory {
    Balancer create(Clock clock, BalancerSettings settings);
  }

  private final String configName;
  private final Factory factory;

  Algorithm(String configName, Factory factory) {
    this.configName = configName;
    this.factory = factory;
  }

  public String configName() {
    return configName;
  }

  /** Whether its picks follow the backends' weights beyond 0 (which takes a backend out under every algorithm). */
  public boolean followsWeights() {
    return switch (this) {
      case WEIGHTED_ROUND_ROBIN, LEAST_CONNECTIONS, RANDOM, POWER_OF_TWO, ADAPTIVE_WEIGHTED -> true;
      case ROUND_ROBIN, LEAST_RESPONSE_TIME, CONSISTENT_HASH, IP_HASH -> false;
    };
  }

  /**
   * What to tell a user whose backends have different weights that this algorithm does not follow
   * (nginx's and HAProxy's round robin do follow them, so a weight copied from there would be
   * silently ignored); null when there is nothing to say.
   */
  public String ignoredWeights(java.util.Collection<Integer> weights) {
    java.util.TreeSet<Integer> distinct = new java.util.TreeSet<>();
    for (int w : weights) {
      if (w > 0) {
        distinct.add(w);
      }
    }
    if (followsWeights() || distinct.size() < 2) {
      return null;
    }
    return "backend weights " + distinct + " are not followed by " + configName + ", which only takes weight 0 as out"
        + (this == ROUND_ROBIN ? "; weighted_round_robin is nginx's and HAProxy's weighted round robin" : "")
        + " (weights are followed by weighted_round_robin, least_connections, random, power_of_two and adaptive_weighted)";
  }

  /** A balancer with default settings (key by client IP, no slow start). */
  public Balancer newBalancer(Clock clock) {
    return newBalancer(clock, BalancerSettings.DEFAULTS);
  }

  /** A new balancer; every call returns a separate instance with its own state. */
  public Balancer newBalancer(Clock clock, BalancerSettings settings) {
    return factory.create(clock, settings);
  }

  // Every algorithm that follows weights gets them through slow start (which passes the configured
  // ones through when its window is zero); each balancer its own, as it caches per pool snapshot.
  private static Balancer weighted(WeightedBalancer balancer, Clock clock, BalancerSettings s) {
    return new SlowStart(balancer, clock, s.slowStart());
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
