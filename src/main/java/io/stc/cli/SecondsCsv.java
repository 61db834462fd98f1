package io.stc.cli;

import io.stc.traffic.SecondSample;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * The {@code --csv} file of {@code stc load}: one row per second with
 * {@code second,sent,completed,errors,p50_ms,p99_ms,rate_target} (empty cells when there is no
 * value: no response that second, or a closed loop's target).
 */
final class SecondsCsv implements Consumer<SecondSample>, AutoCloseable {
  static final String HEADER = "second,sent,completed,errors,p50_ms,p99_ms,rate_target";

  private final BufferedWriter out;
  private IOException failure;

  SecondsCsv(Path file) throws IOException {
    out = Files.newBufferedWriter(file);
    out.write(HEADER);
    out.newLine();
    out.flush();
  }

  @Override
  public void accept(SecondSample s) {
    if (failure != null) {
      return;
    }
    try {
      out.write(String.format(Locale.ROOT, "%d,%d,%d,%d,%s,%s,%s",
          s.second(), s.sent(), s.completed(), s.errors(),
          number(s.p50Millis(), 3), number(s.p99Millis(), 3), number(s.targetRate(), 1)));
      out.newLine();
      out.flush();
    } catch (IOException e) {
      failure = e;
    }
  }

  private static String number(double v, int decimals) {
    return Double.isNaN(v) ? "" : String.format(Locale.ROOT, "%." + decimals + "f", v);
  }

  /** Closes the file; throws the first write failure, if any, so it is not lost. */
  @Override
  public void close() throws IOException {
    out.close();
    if (failure != null) {
      throw failure;
    }
  }
}
