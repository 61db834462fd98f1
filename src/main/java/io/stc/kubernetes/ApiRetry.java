package io.stc.kubernetes;

import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a Kubernetes API call until it succeeds, with exponential backoff (0.5 s doubling to 30 s),
 * logging each failure with what was being done to which object. It gives up when the call is no
 * longer wanted (leadership lost, stc closing) or past an optional deadline.
 */
final class ApiRetry {
  private static final Logger log = LoggerFactory.getLogger(ApiRetry.class);
  static final long FIRST_DELAY_MILLIS = 500;
  static final long MAX_DELAY_MILLIS = 30_000;

  private ApiRetry() {}

  /** Retries without a deadline while {@code wanted}. */
  static <T> CompletableFuture<T> call(ScheduledExecutorService executor, String what, Supplier<T> call, BooleanSupplier wanted) {
    return call(executor, what, call, wanted, null);
  }

  /**
   * @param what the action and object, such as {@code scale deployment shop/web to 3}
   * @param deadline null: none; else the future fails with the last error once it has passed
   */
  static <T> CompletableFuture<T> call(
      ScheduledExecutorService executor, String what, Supplier<T> call, BooleanSupplier wanted, Duration deadline) {
    CompletableFuture<T> result = new CompletableFuture<>();
    long giveUpAt = deadline == null ? 0 : System.nanoTime() + deadline.toNanos();
    attempt(executor, what, call, wanted, deadline != null, giveUpAt, FIRST_DELAY_MILLIS, result, 0);
    return result;
  }

  private static <T> void attempt(
      ScheduledExecutorService executor, String what, Supplier<T> call, BooleanSupplier wanted, boolean bounded,
      long giveUpAt, long delayMillis, CompletableFuture<T> result, long waitMillis) {
    Runnable run = () -> {
      if (!wanted.getAsBoolean()) {
        result.completeExceptionally(new CancellationException(what + ": no longer wanted"));
        return;
      }
      try {
        result.complete(call.get());
      } catch (RuntimeException e) {
        if (bounded && System.nanoTime() - giveUpAt >= 0) {
          log.warn("{} failed: {}; giving up", what, ApiFailure.describe(e));
          result.completeExceptionally(e);
          return;
        }
        log.warn("{} failed: {}; retrying in {} ms", what, ApiFailure.describe(e), delayMillis);
        attempt(executor, what, call, wanted, bounded, giveUpAt, Math.min(MAX_DELAY_MILLIS, delayMillis * 2), result, delayMillis);
      }
    };
    try {
      executor.schedule(run, waitMillis, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      result.completeExceptionally(new CancellationException(what + ": closing"));
    }
  }
}
