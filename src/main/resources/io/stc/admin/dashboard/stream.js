import { authHeaders, currentToken, tokenNeeded } from './api.js';

// Snapshots come every second; this long without a byte means the connection is dead even if no
// error says so (a sleeping laptop, a proxy that holds the socket open).
const SILENCE_MS = 5000;
const MAX_RETRY_MS = 15000;

/**
 * Reads GET /api/events, a server-sent event stream, with fetch so that it can carry the token,
 * and reconnects when it drops: after the server's retry delay, doubling up to 15 s while it fails.
 * Status goes to onStatus: "connecting", "live" (data is arriving), "reconnecting".
 */
export class EventFeed {
  #onEvent;
  #onStatus;
  #abort = null;
  #timer = null;
  #retryMs = 2000;
  #failures = 0;
  #lastByte = 0;
  #status = '';
  #connected = false;
  #immediate = false;

  constructor({ onEvent, onStatus }) {
    this.#onEvent = onEvent;
    this.#onStatus = onStatus;
  }

  get status() {
    return this.#status;
  }

  start() {
    setInterval(() => {
      if (this.#status === 'live' && Date.now() - this.#lastByte > SILENCE_MS) this.#abort?.abort();
    }, 1000);
    this.#connect();
  }

  /** Drops the current connection, if any, and connects again at once. */
  reconnectNow() {
    clearTimeout(this.#timer);
    this.#failures = 0;
    if (this.#abort) {
      this.#immediate = true;
      this.#abort.abort();
    } else {
      this.#connect();
    }
  }

  #setStatus(s) {
    if (s !== this.#status) {
      this.#status = s;
      this.#onStatus(s);
    }
  }

  async #connect() {
    clearTimeout(this.#timer);
    const abort = new AbortController();
    this.#abort = abort;
    this.#setStatus(this.#connected ? 'reconnecting' : 'connecting');
    let delay;
    const token = currentToken();
    try {
      const res = await fetch('/api/events', {
        headers: { ...authHeaders(token), Accept: 'text/event-stream' }, cache: 'no-store', signal: abort.signal,
      });
      if (res.status === 401) {
        const body = await res.json().catch(() => ({}));
        await tokenNeeded(token, body.error ?? 'a token is required');
        delay = 0;
      } else if (!res.ok || !res.body) {
        throw new Error(`HTTP ${res.status}`);
      } else {
        await this.#read(res.body.getReader());
        delay = this.#retryMs;
      }
    } catch {
      this.#failures++;
      delay = Math.min(MAX_RETRY_MS, this.#retryMs * 2 ** Math.max(0, this.#failures - 1));
    }
    this.#abort = null;
    if (this.#immediate) {
      this.#immediate = false;
      delay = 0;
    }
    this.#setStatus('reconnecting');
    this.#timer = setTimeout(() => this.#connect(), delay);
  }

  async #read(reader) {
    const decoder = new TextDecoder();
    let buffer = '';
    let type = 'message';
    let data = [];
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      this.#lastByte = Date.now();
      buffer += decoder.decode(value, { stream: true });
      const lines = buffer.split(/\r\n|\r|\n/);
      buffer = lines.pop();
      for (const line of lines) {
        if (line === '') {
          if (data.length > 0) this.#dispatch(type, data.join('\n'));
          type = 'message';
          data = [];
        } else if (line.startsWith(':')) {
          continue;
        } else {
          const colon = line.indexOf(':');
          const field = colon < 0 ? line : line.slice(0, colon);
          const v = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
          if (field === 'event') type = v;
          else if (field === 'data') data.push(v);
          else if (field === 'retry' && /^\d+$/.test(v)) this.#retryMs = Number(v);
        }
      }
    }
  }

  #dispatch(type, text) {
    let payload;
    try {
      payload = JSON.parse(text);
    } catch {
      return;
    }
    this.#connected = true;
    this.#failures = 0;
    this.#setStatus('live');
    this.#onEvent(type, payload);
  }
}
