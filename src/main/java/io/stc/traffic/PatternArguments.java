package io.stc.traffic;

/** Argument checks shared by the rate patterns, with messages a command-line user can act on. */
final class PatternArguments {
  private PatternArguments() {}

  static double positive(String name, double value) {
    if (!(value > 0) || Double.isInfinite(value)) {
      throw new IllegalArgumentException(name + " must be a positive number, got " + value);
    }
    return value;
  }
}
