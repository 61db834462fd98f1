import { clock, el, int, ms, pct } from './format.js';

const EVENTS_KEPT = 200;

/**
 * The backends table, one row per backend kept across updates so that a weight being typed is not
 * overwritten; actions call back with the backend's id.
 */
export class BackendTable {
  #body;
  #rows = new Map();
  #actions;

  constructor(body, actions) {
    this.#body = body;
    this.#actions = actions;
  }

  update(backends, colors) {
    const seen = new Set();
    backends.forEach((b, i) => {
      seen.add(b.id);
      let row = this.#rows.get(b.id);
      if (!row) {
        row = this.#row(b.id);
        this.#rows.set(b.id, row);
      }
      if (this.#body.children[i] !== row.tr) this.#body.insertBefore(row.tr, this.#body.children[i] ?? null);
      this.#fill(row, b, colors.get(b.id));
    });
    for (const [id, row] of this.#rows) {
      if (!seen.has(id)) {
        row.tr.remove();
        this.#rows.delete(id);
      }
    }
    if (backends.length === 0 && this.#body.children.length === 0) {
      this.#body.append(el('tr', { class: 'empty' }, el('td', { colspan: 11 }, 'No backends yet: add one below.')));
    } else if (backends.length > 0) {
      this.#body.querySelector('tr.empty')?.remove();
    }
  }

  #row(id) {
    const cell = (label, cls) => el('td', { 'data-label': label, class: cls });
    const row = {
      swatch: el('span', { class: 'swatch', 'aria-hidden': 'true' }),
      name: el('span', { class: 'mono' }, id),
      protocol: el('span', { class: 'proto', dataset: { testid: 'protocol' }, title: 'protocol to this backend' }),
      backup: el('span', { class: 'proto', dataset: { testid: 'backup' }, title: 'takes requests only while no other backend is available' }),
      badge: el('span', { class: 'badge', dataset: { testid: 'state' } }),
      circuit: cell('Circuit'),
      weight: el('input', {
        type: 'number', min: 0, max: 1000, step: 1, class: 'weight', 'aria-label': `weight of ${id}`,
        onchange: (e) => this.#actions.weight(id, e.target),
        onkeydown: (e) => e.key === 'Enter' && e.target.blur(),
      }),
      inflight: cell('In flight', 'num'),
      requests: cell('Requests', 'num'),
      errors: cell('Errors', 'num'),
      avg: cell('Avg', 'num'),
      p99: cell('p99', 'num'),
      sessions: cell('Sessions', 'num'),
      toggle: el('button', { type: 'button', class: 'small' }),
      remove: el('button', { type: 'button', class: 'small danger', onclick: () => this.#actions.remove(id) }, 'Remove'),
    };
    row.toggle.addEventListener('click', () => this.#actions.mode(id, row.toggle.dataset.mode));
    row.tr = el('tr', { dataset: { backend: id } },
      el('td', { 'data-label': 'Backend', class: 'name' }, row.swatch, row.name, ' ', row.protocol, ' ', row.backup),
      el('td', { 'data-label': 'State' }, row.badge),
      row.circuit,
      el('td', { 'data-label': 'Weight' }, row.weight),
      row.inflight, row.requests, row.errors, row.avg, row.p99, row.sessions,
      el('td', { 'data-label': 'Actions', class: 'actions' }, row.toggle, row.remove));
    return row;
  }

  #fill(row, b, color) {
    row.swatch.style.background = color;
    row.protocol.textContent = b.protocol ?? '';
    row.backup.textContent = b.backup ? 'backup' : '';
    row.backup.hidden = !b.backup;
    row.badge.textContent = b.removing ? 'REMOVING' : b.state.toUpperCase();
    row.badge.className = `badge ${b.removing ? 'removing' : b.state}`;
    row.circuit.textContent = b.circuit ? b.circuit.replace('_', '-') : '—';
    row.circuit.className = b.circuit && b.circuit !== 'closed' ? 'circuit-bad' : '';
    if (document.activeElement !== row.weight) row.weight.value = b.weight;
    row.inflight.textContent = int(b.in_flight);
    row.requests.textContent = int(b.requests);
    row.errors.textContent = b.errors > 0 ? `${int(b.errors)} (${pct(b.error_rate)})` : '0';
    row.avg.textContent = ms(b.latency_ms.avg);
    row.p99.textContent = ms(b.latency_ms.p99);
    row.sessions.textContent = b.sticky_sessions === undefined ? '—' : int(b.sticky_sessions);
    const out = b.state === 'draining' || b.state === 'maint';
    row.toggle.textContent = out ? 'Resume' : 'Drain';
    row.toggle.dataset.mode = out ? 'up' : 'drain';
    row.toggle.disabled = b.removing;
    row.remove.disabled = b.removing;
    row.weight.disabled = b.removing;
  }
}

/** The recent requests, newest first. */
export function renderRequests(body, requests) {
  const rows = requests.map((r) => el('tr', {},
    el('td', { 'data-label': 'Time', class: 'mono' }, clock(r.time)),
    el('td', { 'data-label': 'Method' }, r.method),
    el('td', { 'data-label': 'Path', class: 'mono path', title: r.path }, r.path),
    el('td', { 'data-label': 'Client', class: 'mono' }, r.client),
    el('td', { 'data-label': 'Backend', class: 'mono' }, r.backend ?? '—'),
    el('td', { 'data-label': 'Status' }, el('span', { class: `status s${Math.floor(r.status / 100)}` }, r.status || '—')),
    el('td', { 'data-label': 'Latency', class: 'num' }, ms(r.latency_ms))));
  if (rows.length === 0) rows.push(el('tr', { class: 'empty' }, el('td', { colspan: 7 }, 'No requests yet.')));
  body.replaceChildren(...rows);
}

/** The event log: control-plane events as they arrive, newest first, without repeats. */
export class EventLog {
  #list;
  #keys = new Set();

  constructor(list) {
    this.#list = list;
  }

  add(e) {
    const key = `${e.time}|${e.type}|${e.message}`;
    if (this.#keys.has(key)) return false;
    this.#keys.add(key);
    const kind = e.type.split('_')[0];
    const bad = /(_down|_opened|_crashed|_failed)$/.test(e.type);
    this.#list.prepend(el('li', { class: `event ${kind}${bad ? ' bad' : ''}`, dataset: { type: e.type } },
      el('time', { datetime: e.time }, clock(e.time)),
      el('span', { class: 'type' }, e.type.replaceAll('_', ' ')),
      el('span', { class: 'message' }, e.message)));
    while (this.#list.children.length > EVENTS_KEPT) {
      const gone = this.#list.lastElementChild;
      this.#keys.delete(`${gone.querySelector('time').getAttribute('datetime')}|${gone.dataset.type}|${gone.querySelector('.message').textContent}`);
      gone.remove();
    }
    return true;
  }
}
