// Number formats and a small DOM builder. Everything shown goes in as text, never as HTML:
// request paths and backend names come from outside.

/** Builds an element: attrs holds class, dataset, on<Event> handlers and plain attributes; children are nodes or text. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const c of children.flat()) {
    if (c !== undefined && c !== null) node.append(c instanceof Node ? c : String(c));
  }
  return node;
}

export function int(n) {
  return Number(n ?? 0).toLocaleString('en-US', { maximumFractionDigits: 0 });
}

export function rate(n) {
  n = Number(n ?? 0);
  return n < 10 ? n.toFixed(1) : int(n);
}

export function ms(n) {
  n = Number(n ?? 0);
  if (n === 0) return '0 ms';
  if (n < 1) return n.toFixed(2) + ' ms';
  if (n < 100) return n.toFixed(1) + ' ms';
  return int(n) + ' ms';
}

export function pct(x) {
  x = Number(x ?? 0) * 100;
  return (x === 100 || x === 0 ? x.toFixed(0) : x.toFixed(x >= 99.95 ? 2 : 1)) + '%';
}

/** HH:MM:SS in local time, from an ISO string or epoch milliseconds. */
export function clock(t) {
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? '' : d.toLocaleTimeString('en-GB', { hour12: false });
}
