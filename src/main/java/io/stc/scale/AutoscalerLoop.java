package io.stc.scale;

import io.stc.VirtualTime;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;

/**
 * Where all of the autoscaler's work runs and all of its state lives: its own thread in
 * {@code stc serve}, or a simulation's event queue in virtual time, so {@code stc simulate} runs the
 * very same autoscaler.
 */
abstract class AutoscalerLoop {
  private static final Logger log = Autoscaler.log;

  /** The autoscaler's own thread, on the system's time. */
  static AutoscalerLoop threaded() {
    return new Threaded();
  }

  /** Tasks of a discrete-event simulation: nothing runs in parallel, time moves from task to task. */
  static AutoscalerLoop virtual(VirtualTime time) {
    return new Virtual(time);
  }

  /** Runs {@code task} every {@code periodNanos}, the first time after one period. */
  abstract void every(long periodNanos, Runnable task, String what);

  /** Runs {@code task} on the loop after what is queued already, unless it has been shut down. */
  abstract void execute(Runnable task);

  /** Runs {@code task} on the loop and waits for its result. */
  abstract <T> T call(Callable<T> task) throws InterruptedException;

  /** Queues {@code task} as it is, so that the caller sees how it ended. */
  abstract Future<?> submit(Runnable task);

  abstract void shutdownNow();

  static Runnable guarded(Runnable task, String what) {
    return () -> {
      try {
        task.run();
      } catch (RuntimeException | Error e) {
        log.error("autoscaler {} failed", what, e);
      }
    };
  }

  private static final class Threaded extends AutoscalerLoop {
    private final ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "stc-autoscaler");
      t.setDaemon(true);
      return t;
    });

    @Override
    void every(long periodNanos, Runnable task, String what) {
      executor.scheduleWithFixedDelay(guarded(task, what), periodNanos, periodNanos, TimeUnit.NANOSECONDS);
    }

    @Override
    void execute(Runnable task) {
      try {
        executor.execute(guarded(task, "callback"));
      } catch (RejectedExecutionException e) {
        // Closing: the provider's close() ends whatever this callback was about.
      }
    }

    @Override
    <T> T call(Callable<T> task) throws InterruptedException {
      try {
        return executor.submit(task).get();
      } catch (ExecutionException e) {
        throw new IllegalStateException("autoscaler task failed", e.getCause());
      }
    }

    @Override
    Future<?> submit(Runnable task) {
      return executor.submit(task);
    }

    @Override
    void shutdownNow() {
      executor.shutdownNow();
    }
  }

  private static final class Virtual extends AutoscalerLoop {
    private final VirtualTime time;
    private boolean shutDown;

    Virtual(VirtualTime time) {
      this.time = time;
    }

    @Override
    void every(long periodNanos, Runnable task, String what) {
      Runnable guarded = guarded(task, what);
      time.after(periodNanos, new Runnable() {
        @Override
        public void run() {
          if (!shutDown) {
            guarded.run();
            time.after(periodNanos, this);
          }
        }
      });
    }

    @Override
    void execute(Runnable task) {
      Runnable guarded = guarded(task, "callback");
      time.soon(() -> {
        if (!shutDown) {
          guarded.run();
        }
      });
    }

    @Override
    <T> T call(Callable<T> task) {
      // Nothing else runs meanwhile: the caller is the simulation's only thread.
      try {
        return task.call();
      } catch (RuntimeException e) {
        throw e;
      } catch (Exception e) {
        throw new IllegalStateException("autoscaler task failed", e);
      }
    }

    @Override
    Future<?> submit(Runnable task) {
      task.run();
      return CompletableFuture.completedFuture(null);
    }

    @Override
    void shutdownNow() {
      shutDown = true;
    }
  }
}
