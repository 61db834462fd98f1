import { call } from './api.js';
import { clock, el, int, ms } from './format.js';
import { toast } from './toast.js';

const KEPT = 200;

/**
 * The test panel (seed 001's "send 1 / 10 / 50 / 100"): sends requests through stc's data plane
 * (POST /api/test-requests) and lists each with the backend that answered, its status and latency,
 * newest batch first; "Clear history" empties the list.
 */
export class TestPanel {
  #form;
  #body;
  #summary;
  #sent = 0;
  #rows = [];

  constructor(form, body, summary) {
    this.#form = form;
    this.#body = body;
    this.#summary = summary;
    form.querySelectorAll('button[data-count]').forEach((b) => b.addEventListener('click', () => this.send(Number(b.dataset.count))));
    form.querySelector('button[data-clear]').addEventListener('click', () => this.clear());
    form.addEventListener('submit', (e) => e.preventDefault());
    this.#render();
  }

  async send(count) {
    const path = this.#form.elements.path.value.trim() || '/';
    const buttons = this.#form.querySelectorAll('button');
    buttons.forEach((b) => { b.disabled = true; });
    try {
      const r = await call('POST', '/api/test-requests', { count, path });
      const at = Date.now();
      const batch = r.requests.map((q) => ({ ...q, n: this.#sent + q.n, at, path: r.path }));
      this.#sent += r.requests.length;
      this.#rows = [...batch.reverse(), ...this.#rows].slice(0, KEPT);
      const backends = new Set(r.requests.map((q) => q.backend).filter((b) => b));
      this.#summary.textContent = `last: ${int(r.succeeded)} of ${int(r.count)} answered below 500, by ${backends.size} backend${backends.size === 1 ? '' : 's'}`
        + (r.served_by_header ? '' : ' (served_by_header is off: backends unknown)');
      this.#render();
    } catch (e) {
      toast(`Test requests not sent: ${e.message}`, 'error');
      if (e.field === 'path') this.#form.elements.path.setAttribute('aria-invalid', 'true');
    } finally {
      buttons.forEach((b) => { b.disabled = false; });
    }
  }

  clear() {
    this.#rows = [];
    this.#summary.textContent = '';
    this.#render();
  }

  #render() {
    this.#form.elements.path.removeAttribute('aria-invalid');
    const rows = this.#rows.map((q) => el('tr', {},
      el('td', { 'data-label': '#', class: 'num' }, int(q.n)),
      el('td', { 'data-label': 'Time', class: 'mono' }, clock(q.at)),
      el('td', { 'data-label': 'Path', class: 'mono path', title: q.path }, q.path),
      el('td', { 'data-label': 'Backend', class: 'mono' }, q.backend ?? '—'),
      el('td', { 'data-label': 'Status' }, el('span', { class: `status s${Math.floor(q.status / 100)}`, title: q.error ?? '' },
        q.status || (q.error ?? '—'))),
      el('td', { 'data-label': 'Latency', class: 'num' }, ms(q.latency_ms))));
    if (rows.length === 0) rows.push(el('tr', { class: 'empty' }, el('td', { colspan: 6 }, 'No test requests yet.')));
    this.#body.replaceChildren(...rows);
  }
}
