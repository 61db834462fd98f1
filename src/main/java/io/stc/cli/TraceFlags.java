package io.stc.cli;

import io.stc.config.HumanDuration;
import io.stc.traffic.RateTrace;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParseResult;

/**
 * The {@code --trace} flags of {@code stc simulate} and {@code stc load} (a picocli mixin, one
 * declaration for both), checked together and against the flags they replace.
 */
final class TraceFlags {
  private static final List<String> REPLACED = List.of("--pattern", "--rate", "--duration");
  private static final List<String> TRACE_ONLY = List.of("--trace-scale", "--trace-start", "--trace-duration");

  @Option(names = "--trace", paramLabel = "FILE",
      description = "Replay a recorded rate instead of a pattern: one rate per line per second, or time,rate lines"
          + " (seconds, Unix time or date-times such as 2026-12-01T10:00:00Z; the replay begins at the first point),"
          + " or a web server's access log (nginx, Apache, HAProxy, Envoy, JSON lines), its requests counted per second.")
  Path file;

  @Option(names = "--trace-scale", paramLabel = "FACTOR", defaultValue = "1", description = "Multiply the trace's rates by this (default ${DEFAULT-VALUE}).")
  double scale;

  @Option(names = "--trace-start", paramLabel = "DURATION", defaultValue = "0s", description = "Begin this far into the trace (default ${DEFAULT-VALUE}).")
  String start;

  @Option(names = "--trace-duration", paramLabel = "DURATION", description = "Replay this much of the trace (default: up to its end).")
  String duration;

  /** Whether {@code --trace} was given. */
  boolean given() {
    return file != null;
  }

  /**
   * The trace when {@code --trace} was given, else null (and none of its own flags may be);
   * IllegalArgumentException naming the flag, or the file and line, on bad input.
   */
  RateTrace read(CommandSpec spec) {
    ParseResult parsed = spec.commandLine().getParseResult();
    if (file == null) {
      for (String flag : TRACE_ONLY) {
        if (parsed.hasMatchedOption(flag)) {
          throw new IllegalArgumentException(flag + " needs --trace FILE");
        }
      }
      return null;
    }
    for (String flag : REPLACED) {
      if (parsed.hasMatchedOption(flag)) {
        throw new IllegalArgumentException(flag + " and --trace exclude each other: the trace gives the rate and the duration"
            + (flag.equals("--duration") ? " (--trace-duration replays a part of it)" : ""));
      }
    }
    double from = seconds("--trace-start", start);
    Double length = duration == null ? null : seconds("--trace-duration", duration);
    return RateTrace.read(file, scale, from, length);
  }

  private static double seconds(String flag, String text) {
    try {
      Duration d = HumanDuration.parse(text);
      return d.toNanos() / 1e9;
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(flag + ": " + e.getMessage(), e);
    }
  }
}
