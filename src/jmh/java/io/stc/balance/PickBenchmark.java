package io.stc.balance;

import io.stc.Clock;
import io.stc.pool.Backend;
import io.stc.pool.BackendState;
import io.stc.pool.Pool;
import io.stc.pool.Upstream;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/** The cost of one {@code pick()} per algorithm and pool size, on a steady pool with mixed weights, load and latency. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class PickBenchmark {
  @Param({
    "round_robin", "weighted_round_robin", "least_connections", "random", "least_response_time",
    "power_of_two", "consistent_hash", "adaptive_weighted"
  })
  public String algorithm;

  @Param({"3", "100", "1000"})
  public int backends;

  private Balancer balancer;
  private Pool pool;
  private final Request[] requests = new Request[1024];
  private int next;

  @Setup
  public void setUp() {
    Upstream upstream = new Upstream(Clock.SYSTEM);
    for (int i = 0; i < backends; i++) {
      Backend b = upstream.add("b" + i, "127.0.0.1", 20_000 + i, 1 + i % 5, BackendState.UP);
      for (int k = 0; k < i % 4; k++) {
        b.stats().requestStarted();
      }
      b.stats().requestStarted();
      b.stats().requestFinished((1 + i % 10) * 1_000_000L, false);
    }
    pool = upstream.pool();
    balancer = Algorithm.parse(algorithm).newBalancer(Clock.SYSTEM);
    for (int i = 0; i < requests.length; i++) {
      String ip = "10.0." + (i >> 8) + "." + (i & 255);
      requests[i] = new Request() {
        @Override
        public String clientIp() {
          return ip;
        }
      };
    }
  }

  @Benchmark
  public Backend pick() {
    Request r = requests[next++ & (requests.length - 1)];
    return balancer.pick(r, pool);
  }
}
