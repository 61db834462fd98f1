package io.stc.traffic;

/**
 * What happened during one second of a run (the last sample may cover less), plus running totals.
 *
 * @param second index {@code k} of the window {@code [k, k+1)} seconds after the start
 * @param elapsedSeconds seconds since the start at the end of the window
 * @param p50Millis latency median in the window, NaN when nothing completed
 * @param p99Millis latency 99th percentile in the window, NaN when nothing completed
 * @param targetRate requests the schedule plans in the window; NaN in a closed loop
 */
public record SecondSample(
    int second,
    double elapsedSeconds,
    long sent,
    long completed,
    long errors,
    long dropped,
    double p50Millis,
    double p99Millis,
    double targetRate,
    long totalSent,
    long totalCompleted,
    long totalErrors,
    long totalDropped) {}
