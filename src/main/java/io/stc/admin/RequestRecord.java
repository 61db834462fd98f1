package io.stc.admin;

/** One finished request as the admin API and the access log show it; {@code backend} is null when none served it. */
public record RequestRecord(
    long epochMillis, String method, String path, String client, String backend, int status, long latencyNanos) {
  public double latencyMillis() {
    return latencyNanos / 1e6;
  }
}
