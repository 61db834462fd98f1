package io.stc.cli;

import io.stc.traffic.SecondSample;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * The live progress of {@code stc load} on stderr: one line rewritten in place every second on a
 * terminal, otherwise (a log file, CI) a fresh line every five seconds.
 */
final class LoadProgress implements Consumer<SecondSample> {
  private static final int LOG_EVERY_SECONDS = 5;

  private final PrintWriter err;
  private final boolean terminal;
  private final String total;
  private int lastWidth;
  private long completedSincePrint;
  private double elapsedAtPrint;

  /** {@code total} describes the end of the run, e.g. {@code "60s"} or {@code "1000 requests"}. */
  LoadProgress(PrintWriter err, boolean terminal, String total) {
    this.err = err;
    this.terminal = terminal;
    this.total = total;
  }

  /** True when this process's stderr is a terminal (Linux); false when unknown. */
  static boolean stderrIsTerminal() {
    try {
      String target = Files.readSymbolicLink(Path.of("/proc/self/fd/2")).toString();
      return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
    } catch (Exception e) {
      return false;
    }
  }

  @Override
  public void accept(SecondSample s) {
    completedSincePrint += s.completed();
    boolean whole = s.elapsedSeconds() >= s.second() + 1;
    if (!whole || (!terminal && (s.second() + 1) % LOG_EVERY_SECONDS != 0)) {
      return;
    }
    double window = s.elapsedSeconds() - elapsedAtPrint;
    String line = String.format(Locale.ROOT,
        "%.0fs/%s  sent %d  %.0f req/s  errors %d%s  p99 %s",
        s.elapsedSeconds(), total, s.totalSent(), window > 0 ? completedSincePrint / window : 0.0,
        s.totalErrors(), s.totalDropped() > 0 ? "  dropped " + s.totalDropped() : "",
        Double.isNaN(s.p99Millis()) ? "-" : String.format(Locale.ROOT, "%.2f ms", s.p99Millis()));
    completedSincePrint = 0;
    elapsedAtPrint = s.elapsedSeconds();
    if (terminal) {
      err.print("\r" + line + " ".repeat(Math.max(0, lastWidth - line.length())));
      lastWidth = line.length();
    } else {
      err.println(line);
    }
    err.flush();
  }

  /** Clears the in-place line so the report starts on a clean line. */
  void done() {
    if (terminal && lastWidth > 0) {
      err.print("\r" + " ".repeat(lastWidth) + "\r");
      err.flush();
    }
  }
}
