// api.js: the page's only way to the server — the documented /api/ calls,
// with the bearer token when the server wants one.

const TOKEN_KEY = 'colorize-token';

// A token in the address (#token=...) is kept for this tab and removed from
// the address bar, so it does not end up in bookmarks or screenshots.
(function takeTokenFromHash() {
  const m = location.hash.match(/token=([^&]+)/);
  if (m) {
    sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(m[1]));
    history.replaceState(null, '', location.pathname + location.search);
  }
})();

let askingToken = null;

// askToken shows the token dialog once, however many calls are waiting.
function askToken() {
  if (!askingToken) {
    askingToken = new Promise((resolve) => {
      const dlg = document.getElementById('token-dialog');
      const input = document.getElementById('token-input');
      const done = () => {
        sessionStorage.setItem(TOKEN_KEY, input.value.trim());
        dlg.close();
        askingToken = null;
        resolve();
      };
      document.getElementById('token-ok').onclick = done;
      input.onkeydown = (e) => { if (e.key === 'Enter') done(); };
      dlg.showModal();
    });
  }
  return askingToken;
}

// APIError carries the server's {"error": ...} message and status.
export class APIError extends Error {
  constructor(status, message, retryAfter) {
    super(message);
    this.status = status;
    this.retryAfter = retryAfter;
  }
}

// call fetches an /api/ path and returns the Response, throwing APIError
// for error statuses. A 401 asks for the token and tries again.
export async function call(path, init = {}) {
  for (let attempt = 0; ; attempt++) {
    const headers = new Headers(init.headers || {});
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (token) headers.set('Authorization', 'Bearer ' + token);
    const res = await fetch(path, { ...init, headers });
    if (res.ok) return res;
    if (res.status === 401 && attempt < 3) {
      await askToken();
      continue;
    }
    let msg = res.statusText;
    try { msg = (await res.json()).error || msg; } catch (_) { /* not JSON */ }
    throw new APIError(res.status, msg, Number(res.headers.get('Retry-After')) || 0);
  }
}

export async function getJSON(path) {
  return (await call(path)).json();
}

export const api = {
  models: () => getJSON('/api/models'),
  runs: () => getJSON('/api/runs'),
  metrics: (id, since, kind) =>
    getJSON(`/api/runs/${encodeURIComponent(id)}/metrics?since=${since}` + (kind ? `&kind=${kind}` : '')),
  latestSample: async (id) => {
    const res = await call(`/api/runs/${encodeURIComponent(id)}/samples/latest`);
    return { blob: await res.blob(), step: Number(res.headers.get('X-Colorize-Step')) };
  },
  // colorize posts the form and returns the PNG with what the server said
  // about it.
  colorize: async (form, signal) => {
    const res = await call('/api/colorize', { method: 'POST', body: form, signal });
    const timing = res.headers.get('Server-Timing') || '';
    const m = timing.match(/model;dur=([\d.]+)/);
    return {
      blob: await res.blob(),
      model: res.headers.get('X-Colorize-Model'),
      checkpoint: res.headers.get('X-Colorize-Checkpoint'),
      step: Number(res.headers.get('X-Colorize-Step')),
      maxSide: Number(res.headers.get('X-Colorize-Max-Side')) || 0,
      modelMs: m ? Number(m[1]) : null,
    };
  },
};
