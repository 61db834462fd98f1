package io.stc.scale;

import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;

/** The autoscaler's one thread, on which all of its state lives and all of its work runs. */
final class AutoscalerLoop {
  private static final Logger log = Autoscaler.log;

  private final ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "stc-autoscaler");
    t.setDaemon(true);
    return t;
  });

  /** Runs {@code task} every {@code periodMillis}, the first time after one period. */
  void every(long periodMillis, Runnable task, String what) {
    executor.scheduleWithFixedDelay(guarded(task, what), periodMillis, periodMillis, TimeUnit.MILLISECONDS);
  }

  /** Runs {@code task} on the autoscaler's thread, unless it has been shut down. */
  void execute(Runnable task) {
    try {
      executor.execute(guarded(task, "callback"));
    } catch (RejectedExecutionException e) {
      // Closing: the provider's close() ends whatever this callback was about.
    }
  }

  /** Runs {@code task} on the autoscaler's thread and waits for its result. */
  <T> T call(Callable<T> task) throws InterruptedException {
    try {
      return executor.submit(task).get();
    } catch (ExecutionException e) {
      throw new IllegalStateException("autoscaler task failed", e.getCause());
    }
  }

  /** Queues {@code task} as it is, so that the caller sees how it ended. */
  Future<?> submit(Runnable task) {
    return executor.submit(task);
  }

  void shutdownNow() {
    executor.shutdownNow();
  }

  private static Runnable guarded(Runnable task, String what) {
    return () -> {
      try {
        task.run();
      } catch (RuntimeException | Error e) {
        log.error("autoscaler {} failed", what, e);
      }
    };
  }
}
