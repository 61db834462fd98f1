import { call, onTokenNeeded, storeToken } from './api.js';
import { Charts } from './charts.js';
import { AddBackendForm, AlgorithmPicker } from './controls.js';
import { clock, int, ms, pct, rate } from './format.js';
import { History } from './history.js';
import { EventFeed } from './stream.js';
import { BackendTable, EventLog, renderRequests } from './tables.js';
import { TestPanel } from './testpanel.js';
import { toast } from './toast.js';

const HISTORY_SECONDS = 15 * 60;
const REQUESTS_SHOWN = 15;
const PALETTE = ['#60a5fa', '#f59e0b', '#34d399', '#f472b6', '#a78bfa', '#22d3ee', '#facc15', '#fb7185', '#4ade80', '#c084fc'];

const $ = (selector) => document.querySelector(selector);
const state = { paused: false, windowSeconds: 300, latest: null, requestsInFlight: false, freshStream: true };
const colors = new Map();
const history = new History(HISTORY_SECONDS);
const charts = new Charts($('#charts'));
const log = new EventLog($('#event-log'));
const algorithms = new AlgorithmPicker($('#algorithm-select'), (a) => showAlgorithm(a));
const backends = new BackendTable($('#backends tbody'), {
  mode: (id, mode) => act('PATCH', id, { state: mode }, mode === 'drain' ? `Draining ${id}` : `${id} back in rotation`),
  weight: (id, input) => {
    const w = input.value.trim();
    if (!/^\d+$/.test(w) || Number(w) > 1000) {
      toast('A weight is a whole number from 0 to 1000', 'error');
      return;
    }
    act('PATCH', id, { weight: Number(w) }, `Weight of ${id}: ${w}`);
  },
  remove: (id) => act('DELETE', id, undefined, `Removing ${id}: it drains first`),
});
const feed = new EventFeed({ onEvent, onStatus: showConnection });
new AddBackendForm($('#add-backend'), () => refresh(false));
new TestPanel($('#test-panel'), $('#test-requests tbody'), document.querySelector('[data-testid="test-summary"]'));

async function act(method, id, body, success) {
  try {
    await call(method, `/api/backends/${encodeURIComponent(id)}`, body);
    toast(success);
    await refresh(false);
  } catch (e) {
    toast(e.message, 'error');
  }
}

function onEvent(type, data) {
  if (type === 'stats') {
    history.add(data);
    if (state.freshStream) {
      // The snapshot's last events cover what happened while the page was away.
      data.events.forEach((e) => addEvent(e));
      state.freshStream = false;
    }
    state.latest = data;
    if (!state.paused) {
      render(data);
      loadRequests();
    }
    return;
  }
  addEvent(data);
}

function addEvent(e) {
  if (log.add(e) && e.type.startsWith('scale_')) history.mark(e);
}

function colorOf(id) {
  if (!colors.has(id)) colors.set(id, PALETTE[colors.size % PALETTE.length]);
  return colors.get(id);
}

function render(s) {
  s.backends.forEach((b) => colorOf(b.id));
  const up = s.backends.filter((b) => b.state === 'up').length;
  showAlgorithm(s.algorithm);
  algorithms.show(s.algorithm);
  setText('backends-healthy', `${up} / ${s.backends.length}`);
  $('#card-backends').classList.toggle('warn', up < s.backends.length);
  $('#card-backends').classList.toggle('bad', s.backends.length > 0 && up === 0);
  setText('rps', rate(s.totals.rps['1s']));
  setText('rps-sub', `${rate(s.totals.rps['60s'])} over 60 s`);
  setText('success-rate', pct(s.totals.success_rate));
  const aborts = s.totals.client_aborts ?? 0;
  setText('success-sub', `${int(s.totals.requests)} requests, ${int(s.totals.failures)} failed`
    + (aborts > 0 ? `, ${int(aborts)} client aborts` : ''));
  // gRPC calls by grpc-status, when there were any: OK first, then the others by count.
  const grpc = Object.entries(s.totals.grpc ?? {}).sort((a, b) => (b[0] === 'OK') - (a[0] === 'OK') || b[1] - a[1]);
  setText('grpc-sub', grpc.length === 0 ? '' : `gRPC: ${grpc.map(([code, n]) => `${code} ${int(n)}`).join(', ')}`);
  $('#card-success').classList.toggle('warn', s.totals.success_rate < 0.99);
  setText('p99', ms(s.totals.recent_latency_ms?.p99));
  setText('p99-sub', `p50 ${ms(s.totals.recent_latency_ms?.p50)}, last second`);
  const sessions = s.backends.filter((b) => b.sticky_sessions !== undefined);
  setText('sessions', sessions.length ? int(sessions.reduce((n, b) => n + b.sticky_sessions, 0)) : 'off');
  setText('sessions-sub', sessions.length ? `across ${sessions.length} backends` : 'sticky is not configured');
  renderAutoscaler(s.autoscaler);
  backends.update(s.backends, colors);
  charts.update(history, state.windowSeconds, colors, s.totals);
  setText('updated', `updated ${clock(Date.now())}`);
}

function renderAutoscaler(a) {
  const card = $('#card-autoscaler');
  if (!a) {
    setText('autoscaler', 'off');
    setText('autoscaler-sub', 'autoscale.enabled is false');
    card.classList.remove('warn');
    return;
  }
  setText('autoscaler', a.current === a.desired ? `${a.current}` : `${a.current} → ${a.desired}`);
  setText('autoscaler-sub',
    `${a.policy}: min ${a.min}, max ${a.max}, pending ${a.pending}${a.draining ? `, draining ${a.draining}` : ''}`);
  card.title = a.last_event ? `${clock(a.last_event.time)} ${a.last_event.message}` : 'no scaling yet';
  card.classList.toggle('warn', a.pending > 0 || a.current !== a.desired);
}

/** The config name as is (what stc ctl and the config take), free to wrap after its underscores on narrow cards. */
function showAlgorithm(name) {
  const parts = name.split('_');
  const children = parts.flatMap((p, i) => (i < parts.length - 1 ? [`${p}_`, document.createElement('wbr')] : [p]));
  document.querySelector('[data-testid="algorithm"]').replaceChildren(...children);
}

function setText(testid, text) {
  document.querySelector(`[data-testid="${testid}"]`).textContent = text;
}

async function loadRequests() {
  // One call at a time: a slow answer is not stacked up behind new snapshots.
  if (state.requestsInFlight || document.hidden) return;
  state.requestsInFlight = true;
  try {
    renderRequests($('#requests tbody'), await call('GET', `/api/requests?limit=${REQUESTS_SHOWN}`));
  } catch {
    // The stream's indicator already says when stc cannot be reached.
  } finally {
    state.requestsInFlight = false;
  }
}

/** Fetches a fresh snapshot and the recent requests now, rather than at the next tick. */
async function refresh(announce) {
  try {
    const s = await call('GET', '/api/stats');
    state.latest = s;
    render(s);
    await loadRequests();
    if (feed.status !== 'live') feed.reconnectNow();
    if (announce) toast('Refreshed');
  } catch (e) {
    toast(`Refresh failed: ${e.message}`, 'error');
  }
}

function showConnection(status) {
  if (status !== 'live') state.freshStream = true;
  const labels = { connecting: 'connecting…', live: 'live', reconnecting: 'stream lost, reconnecting…' };
  const c = $('#connection');
  c.dataset.state = status;
  c.querySelector('.label').textContent = labels[status];
  if (status === 'reconnecting') c.title = `no data from /api/events since ${clock(Date.now())}`;
  else c.title = '';
}

function setPaused(paused) {
  state.paused = paused;
  document.body.classList.toggle('paused', paused);
  const b = $('#pause');
  b.textContent = paused ? 'Resume' : 'Pause';
  b.setAttribute('aria-pressed', String(paused));
  if (!paused && state.latest) {
    render(state.latest);
    loadRequests();
  }
}

function askForToken(reason) {
  const dialog = $('#token-dialog');
  if (dialog.open) return dialog.pending;
  setText('token-reason', reason);
  dialog.pending = new Promise((resolve) => {
    dialog.querySelector('form').onsubmit = (e) => {
      e.preventDefault();
      const value = dialog.querySelector('input').value.trim();
      if (!value) return;
      storeToken(value);
      dialog.querySelector('input').value = '';
      dialog.close();
      resolve();
    };
  });
  dialog.showModal();
  return dialog.pending;
}

function bindControls() {
  $('#pause').addEventListener('click', () => setPaused(!state.paused));
  $('#window').addEventListener('change', (e) => {
    state.windowSeconds = Number(e.target.value);
    if (state.latest) charts.update(history, state.windowSeconds, colors, state.latest.totals);
  });
  $('#refresh').addEventListener('click', () => refresh(true));
  document.addEventListener('keydown', (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey || e.target.closest('input, select, textarea, button, dialog')) return;
    if (e.key === 'r') {
      e.preventDefault();
      refresh(true);
    } else if (e.key === ' ') {
      e.preventDefault();
      setPaused(!state.paused);
    }
  });
}

onTokenNeeded(askForToken);
bindControls();
feed.start();
algorithms.load().catch((e) => toast(`Cannot load the algorithms: ${e.message}`, 'error'));
// A first look at once, before the stream's first snapshot.
loadRequests();
