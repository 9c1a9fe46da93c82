// runs.js: the runs view — every run under the server's runs folder, its
// state and configuration, live curves from metrics.jsonl, the newest sample
// grid, and several runs' validation curves on one chart.

import { api } from './api.js';
import { el, fmt, toast } from './ui.js';
import { lineChart, smooth, COLORS } from './chart.js';

const POLL_MS = 2000;
const $ = (id) => document.getElementById(id);

const state = {
  runs: [],
  selected: null,
  ticked: new Set(),
  metrics: new Map(), // run id → {byKey: Map("kind:step" → record), last: step}
  valOnly: new Map(), // run id → the same, validation records only (compare chart)
  sampleStep: new Map(), // run id → step of the sample grid shown
  timer: 0,
  active: false,
};

export function initRuns() {
  $('smooth').addEventListener('change', drawRun);
  window.addEventListener('resize', () => { if (state.active) { drawRun(); drawCompare(); } });
}

// show starts (or stops) polling while the view is visible.
export function showRuns(on) {
  state.active = on;
  clearTimeout(state.timer);
  if (on) poll();
}

async function poll() {
  await update();
  if (state.active) state.timer = setTimeout(poll, POLL_MS);
}

// update runs refresh after any refresh still under way, so a click and a
// poll never draw over each other out of order.
let chain = Promise.resolve();
function update() {
  chain = chain.then(refresh).catch((err) => toast(`runs: ${err.message}`, true));
  return chain;
}

async function refresh() {
  const data = await api.runs();
  state.runs = data.runs;
  $('runs-root').textContent = data.root;
  if (!state.selected && data.runs.length) {
    state.selected = (data.runs.find((r) => r.state === 'training') || data.runs[data.runs.length - 1]).id;
  }
  renderList();
  const run = data.runs.find((r) => r.id === state.selected);
  $('run-empty').hidden = !!run;
  $('run-body').hidden = !run;
  if (run) {
    renderHeader(run);
    await fetchMetrics(state.metrics, run.id, '');
    drawRun();
    await refreshSample(run);
  }
  for (const id of state.ticked) {
    if (data.runs.some((r) => r.id === id)) await fetchMetrics(state.valOnly, id, 'val');
  }
  drawCompare();
}

// fetchMetrics asks for the records after the newest step it has, minus
// one: a step's validation line follows its training line, and may arrive
// in a later poll. Records are kept by kind and step, so repeats merge (a
// resumed run rewrites the steps after its checkpoint with the same values).
async function fetchMetrics(cache, id, kind) {
  let c = cache.get(id);
  if (!c) { c = { byKey: new Map(), last: -1 }; cache.set(id, c); }
  const since = Math.max(-1, c.last - 1);
  const res = await api.metrics(id, since, kind);
  for (const r of res.records) {
    c.byKey.set(r.kind + ':' + r.step, r);
    c.last = Math.max(c.last, r.step);
  }
}

function records(cache, id) {
  const c = cache.get(id);
  if (!c) return [];
  return [...c.byKey.values()].sort((a, b) => a.step - b.step || a.kind.localeCompare(b.kind));
}

function badge(run) {
  const text = { training: 'training now', finished: 'finished', stopped: 'stopped' }[run.state] || run.state;
  return el('span', { class: 'badge ' + run.state }, text);
}

// renderList updates the list in place, one item per run kept across polls,
// so a click or a tick is never lost to a redraw.
function renderList() {
  const ul = $('runs');
  ul.querySelector('.none')?.remove();
  if (!state.runs.length) {
    ul.replaceChildren(el('li', { class: 'muted none' }, 'No runs yet. Start one with colorize train.'));
    return;
  }
  const items = new Map([...ul.querySelectorAll('li[data-run]')].map((li) => [li.dataset.run, li]));
  state.runs.forEach((r, i) => {
    let li = items.get(r.id);
    if (!li) li = newItem(r.id);
    items.delete(r.id);
    li.classList.toggle('selected', r.id === state.selected);
    li.querySelector('.dot').style.background = COLORS[i % COLORS.length];
    const steps = r.config ? r.config.steps : null;
    li.querySelector('.run-meta').replaceChildren(badge(r),
      el('span', {}, `step ${r.step}${steps ? ' / ' + steps : ''}`),
      el('span', {}, `best val L1 ${fmt(r.best_val_l1)}`));
    if (ul.children[i] !== li) ul.insertBefore(li, ul.children[i] || null); // in order, moved only when out of it
  });
  for (const li of items.values()) li.remove();
}

function newItem(id) {
  const box = el('input', { type: 'checkbox', title: 'compare validation curves' });
  box.checked = state.ticked.has(id);
  box.addEventListener('click', (e) => e.stopPropagation());
  box.addEventListener('change', () => {
    if (box.checked) state.ticked.add(id); else state.ticked.delete(id);
    update();
  });
  const li = el('li', { 'data-run': id }, box,
    el('div', { class: 'run-name' }, el('span', { class: 'dot' }), id),
    el('div', { class: 'run-meta' }));
  li.addEventListener('click', () => {
    state.selected = id;
    update();
  });
  return li;
}

function renderHeader(run) {
  $('run-title').textContent = run.id;
  const st = $('run-state');
  st.replaceChildren(badge(run));
  if (run.holder) {
    st.append(` process ${run.holder.pid} on ${run.holder.host}, since ${new Date(run.holder.start).toLocaleString()}`);
  }
  st.append(el('span', { class: 'muted' }, ` · ${run.dir}`));
  const dl = $('run-config');
  const c = run.config;
  if (!c) {
    dl.replaceChildren(el('dt', {}, 'config'), el('dd', {}, run.config_error || 'no config.yaml'));
    return;
  }
  const rows = [
    ['data', `${c.data} at ${c.size}²`],
    ['loss', `${c.loss}, λ ${c.lambda}`],
    ['steps', `${run.step} of ${c.steps}, batch ${c.batch}`],
    ['Adam', `lr ${c.lr}, β ${c.beta1} / ${c.beta2}`],
    ['networks', `U-Net depth ${c.depth}, ngf ${c.ngf}; PatchGAN ndf ${c.ndf}`],
    ['seed', String(c.seed)],
    ['val L1', `last ${fmt(run.last_val_l1)}, best ${fmt(run.best_val_l1)}`],
    ['checkpoints', run.checkpoints.length ? run.checkpoints.map((id) => id.split(':').pop()).join(', ') : 'none yet'],
  ];
  dl.replaceChildren(...rows.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]));
}

function drawRun() {
  const id = state.selected;
  if (!id || $('run-body').hidden) return;
  const recs = records(state.metrics, id);
  const train = recs.filter((r) => r.kind === 'train');
  const val = recs.filter((r) => r.kind === 'val');
  const sm = $('smooth').checked ? (p) => smooth(p, 0.9) : (p) => p;
  const pts = (rs, key) => rs.filter((r) => r[key] !== undefined && r[key] !== null).map((r) => [r.step, r[key]]);
  lineChart($('chart-adv'), [
    { label: 'D', color: COLORS[0], points: sm(pts(train, 'd')) },
    { label: 'G adversarial', color: COLORS[1], points: sm(pts(train, 'g_adv')) },
  ]);
  lineChart($('chart-rec'), [{ label: 'G reconstruction', color: COLORS[2], points: sm(pts(train, 'g_rec')) }]);
  lineChart($('chart-val'), [
    { label: 'val L1', color: COLORS[3], points: pts(val, 'val_l1') },
    { label: 'val compensated L1', color: COLORS[4], points: pts(val, 'val_comp_l1') },
  ]);
  for (const c of ['chart-adv', 'chart-rec', 'chart-val']) $(c).dataset.run = id; // whose curves these are
}

function drawCompare() {
  const box = $('compare-box');
  const ids = state.runs.map((r) => r.id).filter((id) => state.ticked.has(id));
  box.hidden = ids.length === 0;
  if (box.hidden) return;
  lineChart($('chart-compare'), ids.map((id) => ({
    label: id,
    color: COLORS[state.runs.findIndex((r) => r.id === id) % COLORS.length],
    points: records(state.valOnly, id).map((r) => [r.step, r.val_l1]),
  })), { height: 260 });
}

async function refreshSample(run) {
  const img = $('sample');
  if (run.sample_step === null) {
    img.hidden = true;
    $('sample-step').textContent = '(none yet)';
    return;
  }
  if (state.sampleStep.get(run.id) === run.sample_step && img.dataset.run === run.id) return;
  const { blob, step } = await api.latestSample(run.id);
  if (img.src) URL.revokeObjectURL(img.src);
  // Small grids (32² tiles) are shown enlarged, pixel for pixel.
  img.onload = () => {
    const k = Math.max(1, Math.min(4, Math.floor(img.parentElement.clientWidth / img.naturalWidth), Math.floor(640 / img.naturalHeight)));
    img.style.width = img.naturalWidth * k + 'px';
  };
  img.src = URL.createObjectURL(blob);
  img.dataset.run = run.id;
  img.hidden = false;
  state.sampleStep.set(run.id, step);
  $('sample-step').textContent = `(step ${step})`;
}
