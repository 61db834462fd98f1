package io.stc.cli;

import java.util.concurrent.CountDownLatch;
import sun.misc.Signal;

/**
 * Turns SIGTERM and SIGINT into an orderly stop: the command's own shutdown runs, then the JVM
 * exits 0 (a plain shutdown hook would leave the exit code at 143).
 */
final class Signals {
  private Signals() {}

  /** Runs {@code action} on every SIGHUP (on the JVM's signal thread: it must return quickly). */
  static void onHangup(Runnable action) {
    Signal.handle(new Signal("HUP"), s -> action.run());
  }

  /** Blocks until SIGTERM or SIGINT arrives. */
  static void awaitTermination() throws InterruptedException {
    CountDownLatch stop = new CountDownLatch(1);
    Signal.handle(new Signal("TERM"), s -> stop.countDown());
    Signal.handle(new Signal("INT"), s -> stop.countDown());
    stop.await();
  }
}
