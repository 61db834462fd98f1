package io.stc.backend;

/**
 * How long a request takes on a modelled instance, the one model {@code stc simulate} and
 * {@code stc backend --service-time} share: {@code serviceTime} alone, each other request in
 * flight adding {@code serviceTime / capacity} (the instance slows down as it fills, as one does
 * that shares its CPUs), times a noise draw.
 */
public final class InstanceModel {
  /** The noise a service time is multiplied by. */
  public enum Noise {
    /** Exp(1): mean 1, the 99th percentile 4.6 times the mean, as service times often are. */
    EXP,
    /** None: every request takes the mean. */
    NONE;

    /** The command-line name. */
    public String label() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }

    /** Parses a name, with an error listing the valid ones. */
    public static Noise parse(String name) {
      for (Noise n : values()) {
        if (n.label().equals(name.trim().toLowerCase(java.util.Locale.ROOT))) {
          return n;
        }
      }
      throw new IllegalArgumentException("unknown noise '" + name + "', expected exp or none");
    }

    /** A draw of this noise from a uniform {@code u} in [0, 1). */
    public double draw(double u) {
      return this == EXP ? -Math.log(1 - u) : 1;
    }
  }

  private InstanceModel() {}

  /**
   * The service time of a request, in the unit of {@code serviceTime}.
   *
   * @param others requests in flight on the instance besides this one
   * @param noise the noise draw (1 for none)
   */
  public static double serviceTime(double serviceTime, int others, int capacity, double noise) {
    return serviceTime * (1 + (double) Math.max(0, others) / capacity) * noise;
  }
}
