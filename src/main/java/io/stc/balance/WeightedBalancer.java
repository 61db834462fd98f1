package io.stc.balance;

import io.stc.pool.Backend;

/**
 * A balancer that follows the weights it is handed with the pool instead of reading them from the
 * backends, so that a wrapper ({@link SlowStart}) can change them; same contract as {@link Balancer}.
 */
@FunctionalInterface
interface WeightedBalancer {
  /** The backend to use among {@code pool.available()}, by {@code pool.weights()}, or null when none is available. */
  Backend pick(Request request, WeightedPool pool);
}
