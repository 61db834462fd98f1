package io.stc.cli;

import io.stc.config.HumanDuration;
import io.stc.traffic.RateTrace;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParseResult;

/** The {@code --trace} flags of {@code stc simulate} and {@code stc load}, checked together and against the flags they replace. */
final class TraceFlags {
  private static final List<String> REPLACED = List.of("--pattern", "--rate", "--duration");
  private static final List<String> TRACE_ONLY = List.of("--trace-scale", "--trace-start", "--trace-duration");

  private TraceFlags() {}

  /** Reads the trace; IllegalArgumentException naming the flag, or the file and line, on bad input. */
  static RateTrace read(CommandSpec spec, Path file, double scale, String start, String duration) {
    ParseResult parsed = spec.commandLine().getParseResult();
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

  /** Refuses the trace's own flags without {@code --trace}. */
  static void refuseWithoutTrace(CommandSpec spec) {
    ParseResult parsed = spec.commandLine().getParseResult();
    for (String flag : TRACE_ONLY) {
      if (parsed.hasMatchedOption(flag)) {
        throw new IllegalArgumentException(flag + " needs --trace FILE");
      }
    }
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
