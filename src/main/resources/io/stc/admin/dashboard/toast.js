import { el } from './format.js';

const MAX_SHOWN = 4;

/** Shows a short message in the corner: kind "ok" for success, "error" for a failure the user should read. */
export function toast(message, kind = 'ok') {
  const box = document.getElementById('toasts');
  const t = el('div', { class: `toast ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, message);
  box.append(t);
  while (box.children.length > MAX_SHOWN) box.firstElementChild.remove();
  setTimeout(() => t.remove(), kind === 'error' ? 7000 : 3500);
}
