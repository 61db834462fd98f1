import { clock, int, ms, pct, rate } from './format.js';

const GRID = 'rgba(148, 163, 184, 0.14)';
const MIN_SPAN_MS = 60_000;
const TEXT = '#94a3b8';
const MARK_COLORS = {
  scale_up: '#34d399', scale_ready: '#34d399', scale_down: '#fbbf24', scale_stopped: '#fbbf24',
  scale_crashed: '#f87171', scale_failed: '#f87171',
};
const MARK_GLYPHS = { scale_up: '▲', scale_ready: '●', scale_down: '▼', scale_stopped: '■', scale_crashed: '✕', scale_failed: '✕' };

function lineOptions({ stacked = false, legend = true, yFormat, whole = false }) {
  return {
    animation: false,
    responsive: true,
    maintainAspectRatio: false,
    interaction: { mode: 'index', intersect: false },
    elements: { point: { radius: 0, hitRadius: 6 }, line: { borderWidth: 1.5, tension: 0.25 } },
    scales: {
      x: {
        type: 'linear',
        grid: { color: GRID },
        ticks: { color: TEXT, maxTicksLimit: 5, maxRotation: 0, callback: (v) => clock(v) },
      },
      y: {
        stacked,
        beginAtZero: true,
        grid: { color: GRID },
        ticks: { color: TEXT, maxTicksLimit: 5, callback: yFormat, precision: whole ? 0 : undefined },
      },
    },
    plugins: {
      legend: {
        display: legend,
        position: 'bottom',
        // A series with no points (desired, while autoscaling is off) stays out of the legend.
        labels: { color: TEXT, boxWidth: 10, boxHeight: 10, filter: (item, data) => data.datasets[item.datasetIndex].data.length > 0 },
      },
      tooltip: { callbacks: { title: (items) => (items.length ? clock(items[0].parsed.x) : '') } },
    },
  };
}

/** Draws each scaling event as a dashed vertical line with a glyph on the pool chart. */
function markPlugin(marks) {
  return {
    id: 'scaleMarks',
    afterDatasetsDraw(chart) {
      const { ctx, chartArea, scales } = chart;
      ctx.save();
      ctx.setLineDash([4, 3]);
      ctx.font = '11px system-ui, sans-serif';
      ctx.textAlign = 'center';
      for (const m of marks()) {
        if (m.t < scales.x.min || m.t > scales.x.max) continue;
        const x = scales.x.getPixelForValue(m.t);
        const color = MARK_COLORS[m.type] ?? TEXT;
        ctx.strokeStyle = color;
        ctx.fillStyle = color;
        ctx.beginPath();
        ctx.moveTo(x, chartArea.top + 12);
        ctx.lineTo(x, chartArea.bottom);
        ctx.stroke();
        ctx.fillText(MARK_GLYPHS[m.type] ?? '•', x, chartArea.top + 9);
      }
      ctx.restore();
    },
  };
}

/** The dashboard's six charts, redrawn from the history once a second. */
export class Charts {
  #charts = {};
  #nows = {};
  #marks = [];

  constructor(root) {
    const Chart = window.Chart;
    const canvas = (name) => {
      this.#nows[name] = root.querySelector(`#chart-${name} .now`);
      return root.querySelector(`#chart-${name} canvas`);
    };
    this.#charts.rps = new Chart(canvas('rps'), {
      type: 'line', data: { datasets: [] }, options: lineOptions({ stacked: true, yFormat: (v) => rate(v) }),
    });
    this.#charts.latency = new Chart(canvas('latency'), {
      type: 'line',
      data: { datasets: [this.#line('p50', '#60a5fa'), this.#line('p99', '#f472b6')] },
      options: lineOptions({ yFormat: (v) => ms(v) }),
    });
    this.#charts.errors = new Chart(canvas('errors'), {
      type: 'line',
      data: { datasets: [{ ...this.#line('errors', '#f87171'), fill: 'origin', backgroundColor: 'rgba(248,113,113,0.2)' }] },
      options: lineOptions({ legend: false, yFormat: (v) => pct(v) }),
    });
    this.#charts.inflight = new Chart(canvas('inflight'), {
      type: 'line', data: { datasets: [] }, options: lineOptions({ whole: true, yFormat: (v) => int(v) }),
    });
    const pool = lineOptions({ whole: true, yFormat: (v) => int(v) });
    // Room above the largest count, so a full pool does not run along the top edge.
    pool.scales.y.grace = 1;
    this.#charts.pool = new Chart(canvas('pool'), {
      type: 'line',
      data: {
        datasets: [
          { ...this.#line('backends', '#a78bfa'), stepped: true },
          { ...this.#line('healthy', '#34d399'), stepped: true },
          { ...this.#line('desired', '#fbbf24'), stepped: true, borderDash: [5, 4] },
        ],
      },
      options: pool,
      plugins: [markPlugin(() => this.#marks)],
    });
    this.#charts.share = new Chart(canvas('share'), {
      type: 'doughnut',
      data: { labels: [], datasets: [{ data: [], backgroundColor: [], borderColor: '#0f172a', borderWidth: 2 }] },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        cutout: '58%',
        plugins: { legend: { position: 'right', labels: { color: TEXT, boxWidth: 10, boxHeight: 10 } } },
      },
    });
  }

  #line(label, color) {
    return { label, data: [], borderColor: color, backgroundColor: color };
  }

  /**
   * Redraws every chart over the last windowSeconds; colors maps backend ids to their colors. The
   * request distribution is the totals' since start (or the last reset), the same count the
   * success-rate card shows.
   */
  update(history, windowSeconds, colors, totals, now = Date.now()) {
    const from = now - windowSeconds * 1000;
    const samples = history.since(from);
    const ids = [...colors.keys()];
    // A page open for less than the window shows what it has, at least a minute, rather than a sliver at the right.
    const first = samples.length ? samples[0].t : now;
    const min = Math.max(from, Math.min(first, now - MIN_SPAN_MS));
    for (const c of Object.values(this.#charts)) {
      if (c.config.type === 'line') {
        c.options.scales.x.min = min;
        c.options.scales.x.max = now;
      }
    }
    const last = samples.at(-1);

    this.#perBackend(this.#charts.rps, samples, ids, colors, (s, id) => s.rps.get(id), true);
    this.#now('rps', last ? `${rate([...last.rps.values()].reduce((a, b) => a + b, 0))} req/s` : '');

    const [p50, p99] = this.#charts.latency.data.datasets;
    p50.data = samples.map((s) => ({ x: s.t, y: s.p50 }));
    p99.data = samples.map((s) => ({ x: s.t, y: s.p99 }));
    this.#now('latency', last ? `p99 ${ms(last.p99)}` : '');

    this.#charts.errors.data.datasets[0].data = samples.map((s) => ({ x: s.t, y: s.errorRate }));
    this.#now('errors', last ? pct(last.errorRate) : '');

    this.#perBackend(this.#charts.inflight, samples, ids, colors, (s, id) => s.inflight.get(id), false);
    this.#now('inflight', last ? `${int([...last.inflight.values()].reduce((a, b) => a + b, 0))} in flight` : '');

    const [size, healthy, desired] = this.#charts.pool.data.datasets;
    size.data = samples.map((s) => ({ x: s.t, y: s.pool }));
    healthy.data = samples.map((s) => ({ x: s.t, y: s.up }));
    desired.data = samples.filter((s) => s.desired !== null).map((s) => ({ x: s.t, y: s.desired }));
    this.#marks = history.marks;
    this.#now('pool', last ? `${last.up} / ${last.pool} healthy` : '');

    const slices = Object.entries(totals?.served_by ?? {}).map(([id, n]) => [id, n, colors.get(id)]);
    if (totals?.removed_backends) slices.push(['backends since removed', totals.removed_backends, '#64748b']);
    if (totals?.unrouted) slices.push(['no backend', totals.unrouted, '#f87171']);
    const share = this.#charts.share;
    share.data.labels = slices.map(([label]) => label);
    share.data.datasets[0].data = slices.map(([, n]) => n);
    share.data.datasets[0].backgroundColor = slices.map(([, , color]) => color);
    this.#now('share', `${int(totals?.requests ?? 0)} requests`);

    for (const c of Object.values(this.#charts)) c.update('none');
  }

  #perBackend(chart, samples, ids, colors, value, stacked) {
    const byLabel = new Map(chart.data.datasets.map((d) => [d.label, d]));
    chart.data.datasets = ids.map((id, i) => {
      const d = byLabel.get(id) ?? { label: id, data: [] };
      d.borderColor = colors.get(id);
      d.backgroundColor = stacked ? `${colors.get(id)}55` : colors.get(id);
      d.fill = stacked ? (i === 0 ? 'origin' : '-1') : false;
      d.data = samples.filter((s) => s.rps.has(id)).map((s) => ({ x: s.t, y: value(s, id) ?? 0 }));
      return d;
    });
  }

  #now(name, text) {
    this.#nows[name].textContent = text;
  }
}
