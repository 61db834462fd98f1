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
    try {
      Signal.handle(new Signal("HUP"), s -> action.run());
    } catch (IllegalArgumentException e) {
      // Reserved here: reload stays available through the admin API.
    }
  }

  /** Handles SIGTERM and SIGINT from now on; the latch opens when one arrives. */
  static CountDownLatch install() {
    CountDownLatch stop = new CountDownLatch(1);
    handle("TERM", stop);
    handle("INT", stop);
    return stop;
  }

  private static void handle(String signal, CountDownLatch stop) {
    try {
      Signal.handle(new Signal(signal), s -> stop.countDown());
    } catch (IllegalArgumentException e) {
      // Reserved (e.g. under -Xrs) or unknown here: the default handling stays.
    }
  }
}
