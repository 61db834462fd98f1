package io.stc.cli;

import java.util.concurrent.CountDownLatch;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * Turns SIGTERM and SIGINT into an orderly stop: the command's own shutdown runs, then the JVM
 * exits 0 (a plain shutdown hook would leave the exit code at 143).
 */
final class Signals {
  private Signals() {}

  /**
   * Runs {@code action} on every SIGHUP (on the JVM's signal thread: it must return quickly);
   * false when SIGHUP cannot reach it: ignored since the process started (as under {@code nohup},
   * which the JVM then leaves alone) or reserved.
   */
  static boolean onHangup(Runnable action) {
    try {
      return Signal.handle(new Signal("HUP"), s -> action.run()) != SignalHandler.SIG_IGN;
    } catch (IllegalArgumentException e) {
      return false;
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
