// Calls to the admin API. With admin.token set, the token the user typed is kept in
// sessionStorage (gone when the tab closes) and sent as Authorization: Bearer, on the event
// stream too, which is read with fetch for that reason: the token never goes into a URL.

const KEY = 'stc.admin.token';
const MAX_ATTEMPTS = 3;
let askForToken = null;

/** A call the API refused or that could not be made; field names the request field at fault. */
export class ApiFailure extends Error {
  constructor(status, message, field) {
    super(message);
    this.status = status;
    this.field = field;
  }
}

/** Registers what asks the user for a token: called with the reason, resolves once a new one is stored. */
export function onTokenNeeded(fn) {
  askForToken = fn;
}

export function storeToken(token) {
  if (token) sessionStorage.setItem(KEY, token);
  else sessionStorage.removeItem(KEY);
}

export function currentToken() {
  return sessionStorage.getItem(KEY);
}

/** The Authorization header for a request sent with `token` (none without one). */
export function authHeaders(token) {
  return token ? { Authorization: `Bearer ${token}` } : {};
}

/**
 * Waits for the user to give a token after a 401 for a request sent with `sent`; the reason is the
 * API's message.
 */
export function tokenNeeded(sent, reason) {
  // Several calls are in flight at once: a refusal of a token the user has replaced since must not
  // ask again (it would show "invalid token" for the new one); the caller just retries.
  if (currentToken() !== sent) return Promise.resolve();
  if (!askForToken) return Promise.reject(new ApiFailure(401, reason));
  return askForToken(reason);
}

/** One JSON call; resolves to the parsed answer, rejects with an ApiFailure carrying the API's own message. */
export async function call(method, path, body) {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const token = currentToken();
    const headers = { ...authHeaders(token), Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let res;
    try {
      res = await fetch(path, {
        method, headers, cache: 'no-store', body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (e) {
      throw new ApiFailure(0, `cannot reach stc (${e.message})`);
    }
    const text = await res.text();
    let json = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = null;
    }
    if (res.status === 401) {
      await tokenNeeded(token, json?.error ?? 'a token is required');
      continue;
    }
    if (!res.ok) throw new ApiFailure(res.status, json?.error ?? `HTTP ${res.status}`, json?.field);
    return json;
  }
  throw new ApiFailure(401, 'the token was not accepted');
}
