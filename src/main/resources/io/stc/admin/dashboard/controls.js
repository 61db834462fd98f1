import { call } from './api.js';
import { toast } from './toast.js';

/** The algorithm picker: filled from GET /api/algorithm, switches with PUT at once. */
export class AlgorithmPicker {
  #select;
  #current = null;

  constructor(select, onChanged) {
    this.#select = select;
    select.addEventListener('change', async () => {
      const wanted = select.value;
      select.disabled = true;
      try {
        const r = await call('PUT', '/api/algorithm', { algorithm: wanted });
        this.show(r.algorithm);
        onChanged(r.algorithm);
        toast(`Algorithm: ${r.algorithm}`);
      } catch (e) {
        toast(`Algorithm not changed: ${e.message}`, 'error');
        this.show(this.#current);
      } finally {
        select.disabled = false;
      }
    });
  }

  async load() {
    const r = await call('GET', '/api/algorithm');
    this.#select.replaceChildren(...r.available.map((a) => new Option(a.replaceAll('_', ' '), a)));
    this.show(r.algorithm);
  }

  /** Shows the running algorithm, unless the user is choosing one right now. */
  show(algorithm) {
    this.#current = algorithm;
    if (document.activeElement !== this.#select && this.#select.value !== algorithm) this.#select.value = algorithm;
  }
}

/**
 * The add-backend form: checks what it can before sending (host given, port 1-65535, weight
 * 0-1000), then shows the API's own message, next to the field it names, when it refuses.
 */
export class AddBackendForm {
  #form;

  constructor(form, onAdded) {
    this.#form = form;
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      this.#clear();
      const body = this.#validate();
      if (!body) return;
      const button = form.querySelector('button[type=submit]');
      button.disabled = true;
      try {
        const b = await call('POST', '/api/backends', body);
        toast(`Added ${b.id}`);
        form.reset();
        onAdded(b);
      } catch (err) {
        this.#error(err.field, err.message);
        toast(`Not added: ${err.message}`, 'error');
      } finally {
        button.disabled = false;
      }
    });
  }

  #validate() {
    const f = this.#form.elements;
    const host = f.host.value.trim();
    const port = f.port.value.trim();
    const weight = f.weight.value.trim();
    // unix:/run/app.sock: a backend on a Unix domain socket, which has no port.
    const unix = host.startsWith('unix:');
    let ok = true;
    if (host === '') ok = this.#error('host', 'give a host name or IP address, or unix:/path/to.sock');
    if (unix && port !== '') ok = this.#error('port', 'a Unix socket has no port');
    if (!unix && (!/^\d+$/.test(port) || Number(port) < 1 || Number(port) > 65535)) ok = this.#error('port', 'a port from 1 to 65535');
    if (weight !== '' && (!/^\d+$/.test(weight) || Number(weight) > 1000)) ok = this.#error('weight', 'a weight from 0 to 1000');
    if (!ok) return null;
    const body = unix ? { unix: host.slice('unix:'.length) } : { host, port: Number(port) };
    if (weight !== '') body.weight = Number(weight);
    if (f.backup.checked) body.backup = true;
    return body;
  }

  /** Shows message by the field (or under the form); returns false for use in validation. */
  #error(field, message) {
    const input = field ? this.#form.elements[field] : null;
    const slot = this.#form.querySelector(`.field-error[data-for="${input ? field : 'form'}"]`);
    slot.textContent = message;
    if (input) input.setAttribute('aria-invalid', 'true');
    return false;
  }

  #clear() {
    for (const s of this.#form.querySelectorAll('.field-error')) s.textContent = '';
    for (const i of this.#form.querySelectorAll('[aria-invalid]')) i.removeAttribute('aria-invalid');
  }
}
