// The last minutes of snapshots, turned into per-second series for the charts. Rates come from
// counter differences over the server's own uptime, so late or bunched deliveries do not distort them.

/** One point a second per series, at most maxSeconds of them, plus the scaling events to mark. */
export class History {
  #max;
  #prev = null;
  samples = [];
  marks = [];

  constructor(maxSeconds) {
    this.#max = maxSeconds;
  }

  /** Adds a stats snapshot received at time t (epoch ms). */
  add(stats, t = Date.now()) {
    const prev = this.#prev;
    const dt = prev ? stats.uptime_s - prev.uptime : 0;
    // No earlier snapshot, a restarted stc, or the same second again: nothing to derive a rate from.
    const usable = prev && dt > 0;
    const requests = new Map();
    const rps = new Map();
    const inflight = new Map();
    let up = 0;
    for (const b of stats.backends) {
      const before = usable ? prev.requests.get(b.id) : undefined;
      const delta = before === undefined ? 0 : Math.max(0, b.requests - before);
      requests.set(b.id, delta);
      rps.set(b.id, before === undefined ? (b.rps_history?.at(-1) ?? 0) : delta / dt);
      inflight.set(b.id, b.in_flight);
      if (b.state === 'up') up++;
    }
    const t0 = stats.totals;
    const dReq = usable ? t0.requests - prev.total : 0;
    const dFail = usable ? t0.failures - prev.failures : 0;
    this.samples.push({
      t,
      rps,
      requests,
      inflight,
      p50: t0.recent_latency_ms?.p50 ?? 0,
      p99: t0.recent_latency_ms?.p99 ?? 0,
      errorRate: dReq > 0 && dFail >= 0 ? dFail / dReq : 0,
      pool: stats.backends.length,
      up,
      desired: stats.autoscaler ? stats.autoscaler.desired : null,
    });
    this.#prev = {
      uptime: stats.uptime_s,
      total: t0.requests,
      failures: t0.failures,
      requests: new Map(stats.backends.map((b) => [b.id, b.requests])),
    };
    this.#trim(t);
  }

  /** Remembers a scaling event to draw on the pool chart. */
  mark(event, t = Date.parse(event.time)) {
    this.marks.push({ t: Number.isNaN(t) ? Date.now() : t, type: event.type, label: event.data?.instance ?? '' });
  }

  /** The samples taken at or after t (epoch ms). */
  since(t) {
    return this.samples.filter((s) => s.t >= t);
  }

  #trim(now) {
    const oldest = now - this.#max * 1000;
    while (this.samples.length > 0 && this.samples[0].t < oldest) this.samples.shift();
    while (this.marks.length > 0 && this.marks[0].t < oldest) this.marks.shift();
  }
}
