package io.stc.admin;

import io.prometheus.metrics.model.registry.Collector;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.Unit;

/**
 * Exports the request-duration histogram straight from the lock-free bucket counters the traffic
 * recorder keeps, so the hot path never touches a Micrometer timer (whose window rotation locks).
 */
final class RequestDurationCollector implements Collector {
  private final TrafficRecorder traffic;

  RequestDurationCollector(TrafficRecorder traffic) {
    this.traffic = traffic;
  }

  @Override
  public MetricSnapshot collect() {
    HistogramSnapshot.Builder h =
        HistogramSnapshot.builder()
            .name(MeterNames.REQUEST_DURATION_PROMETHEUS)
            .help("Time from a request's head arriving to its exchange ending, by the backend that served it")
            .unit(Unit.SECONDS);
    for (BackendTraffic t : traffic.all()) {
      h.dataPoint(point(t, t.backend.id()));
    }
    BackendTraffic none = traffic.unrouted();
    if (none.total() > 0) {
      h.dataPoint(point(none, "none"));
    }
    return h.build();
  }

  private static HistogramSnapshot.HistogramDataPointSnapshot point(BackendTraffic t, String backend) {
    long[] counts = t.bucketCounts();
    ClassicHistogramBuckets.Builder b = ClassicHistogramBuckets.builder();
    for (int i = 0; i < BackendTraffic.BUCKETS.length; i++) {
      b.bucket(BackendTraffic.BUCKETS[i], counts[i]);
    }
    b.bucket(Double.POSITIVE_INFINITY, counts[counts.length - 1]);
    return HistogramSnapshot.HistogramDataPointSnapshot.builder()
        .classicHistogramBuckets(b.build())
        .sum(t.durationSeconds())
        .labels(Labels.of(MeterNames.TAG_BACKEND, backend))
        .build();
  }

  @Override
  public String getPrometheusName() {
    return MeterNames.REQUEST_DURATION_PROMETHEUS;
  }
}
