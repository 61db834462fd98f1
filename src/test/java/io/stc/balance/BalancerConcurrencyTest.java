package io.stc.balance;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.management.ThreadMXBean;
import io.stc.pool.Backend;
import io.stc.pool.BackendState;
import io.stc.pool.Pool;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

class BalancerConcurrencyTest {
  private static final BalancerSettings SETTINGS =
      BalancerSettings.DEFAULTS.withSlowStart(Duration.ofSeconds(10));

  @Test
  void picksStayValidWhilePoolsChangeUnderThreads() throws Exception {
    for (Algorithm algorithm : Algorithm.values()) {
      PoolFixture f = PoolFixture.numbered(12);
      Balancer balancer = algorithm.newBalancer(f.clock, SETTINGS);
      ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
      CountDownLatch start = new CountDownLatch(1);
      List<Thread> pickers = new ArrayList<>();
      for (int t = 0; t < 2; t++) {
        int seed = t;
        Thread th = new Thread(() -> {
          try {
            start.await();
            for (int i = 0; i < 20_000; i++) {
              Pool pool = f.pool();
              Backend b = balancer.pick(PoolFixture.request("10.0." + seed + "." + (i & 255), null, null), pool);
              if (pool.availableCount() > 0 && (b == null || !List.of(pool.available()).contains(b))) {
                problems.add(algorithm + " picked " + b + " from " + List.of(pool.available()));
              }
              if (b != null) {
                b.stats().requestStarted();
                b.stats().requestFinished(1_000_000L * (1 + (i % 7)), i % 13 == 0);
              }
            }
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        });
        th.start();
        pickers.add(th);
      }
      start.countDown();
      for (int i = 0; i < 200; i++) {
        String id = "b" + (i % 12);
        f.state(id, i % 2 == 0 ? BackendState.DOWN : BackendState.UP);
        f.upstream.setWeight(f.get(id), 1 + i % 4);
        f.clock.advance(Duration.ofMillis(100));
      }
      for (Thread th : pickers) {
        th.join();
      }
      assertThat(problems).as(algorithm.configName()).isEmpty();
    }
  }

  @Test
  void steadyStatePicksDoNotAllocate() {
    ThreadMXBean mx = (ThreadMXBean) ManagementFactory.getThreadMXBean();
    Request request = PoolFixture.request("10.1.2.3", null, null);
    for (Algorithm algorithm : Algorithm.values()) {
      PoolFixture f = PoolFixture.weights(3, 2, 1, 4, 5);
      for (Backend b : f.pool().available()) {
        f.finished(b.id(), 5 + b.weight(), false);
      }
      Balancer balancer = algorithm.newBalancer(f.clock, BalancerSettings.DEFAULTS);
      Pool pool = f.pool();
      for (int i = 0; i < 20_000; i++) {
        balancer.pick(request, pool);
      }
      long tid = Thread.currentThread().getId();
      long before = mx.getThreadAllocatedBytes(tid);
      for (int i = 0; i < 20_000; i++) {
        balancer.pick(request, pool);
      }
      long allocated = mx.getThreadAllocatedBytes(tid) - before;
      // A little slack for the measuring call itself; one object per pick would be 320 kB.
      assertThat(allocated).as(algorithm.configName()).isLessThan(1_000);
    }
  }
}
