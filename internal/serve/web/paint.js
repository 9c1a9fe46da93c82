// paint.js: the paint view — a sketch, a hint layer painted over it, and the
// result, which follows every edit shortly after it.
//
// The hint layer is a canvas of the sketch's size. Hints are drawn as
// axis-aligned squares of whole pixels in opaque colors (no antialiasing),
// so the layer saved as PNG is exactly the RGBA hint image that
// `colorize infer --hint` reads: opaque pixels are hints, transparent ones
// are not. Edits are kept as a list of operations; undo and redo replay it.

import { api } from './api.js';
import { toast, download, shellQuote, el } from './ui.js';

const DEBOUNCE_MS = 300;
const PRESETS = ['#e02020', '#2060e0', '#f0c020', '#30a040', '#f4c8a8', '#8b5a2b', '#9040c0', '#202020'];
const MAX_RECENT = 9;

const $ = (id) => document.getElementById(id);

const state = {
  sketch: null, // {file, name, pasted, w, h}
  ops: [], // paint operations since the sketch was opened
  redo: [],
  op: null, // the operation being drawn
  tool: 'dot',
  prevTool: 'dot',
  recent: [...PRESETS],
  timer: 0,
  waiting: false, // an edit's debounce timer is running
  inFlight: false,
  pending: false,
  shown: null, // what the result canvas shows: {blob, hint, model, checkpoint, maxSide}
  version: 0,
  model: () => null, // the selected model's entry from /api/models
};

let sketchCtx, hintCtx, resultCtx;

export function initPaint(getModel) {
  state.model = getModel;
  sketchCtx = $('sketch').getContext('2d');
  hintCtx = $('hints').getContext('2d', { willReadFrequently: false });
  resultCtx = $('result').getContext('2d', { willReadFrequently: true });

  $('file').addEventListener('change', (e) => {
    if (e.target.files[0]) openSketch(e.target.files[0], e.target.files[0].name, false);
    e.target.value = '';
  });
  const box = $('sketch-box');
  for (const t of [box, document.body]) {
    t.addEventListener('dragover', (e) => { e.preventDefault(); box.classList.add('dropping'); });
    t.addEventListener('dragleave', () => box.classList.remove('dropping'));
    t.addEventListener('drop', (e) => {
      e.preventDefault();
      e.stopPropagation();
      box.classList.remove('dropping');
      const f = [...e.dataTransfer.files].find((f) => f.type.startsWith('image/')) || e.dataTransfer.files[0];
      if (f) openSketch(f, f.name, false);
    });
  }
  document.addEventListener('paste', (e) => {
    const item = [...e.clipboardData.items].find((i) => i.type.startsWith('image/'));
    if (!item) return;
    e.preventDefault();
    const f = item.getAsFile();
    openSketch(f, 'pasted.' + (f.type.split('/')[1] || 'png'), true);
  });

  document.querySelectorAll('.tool').forEach((b) => b.addEventListener('click', () => setTool(b.dataset.tool)));
  $('brush').addEventListener('input', () => { $('brush-out').value = $('brush').value; });
  $('color').addEventListener('input', () => renderRecent());
  $('undo').addEventListener('click', undo);
  $('redo').addEventListener('click', redo);
  $('clear').addEventListener('click', () => {
    if (!state.sketch || !hasHints()) return;
    commit({ kind: 'clear' });
  });
  $('show-hints').addEventListener('change', () => { $('hints').hidden = !$('show-hints').checked; });
  $('dl-result').addEventListener('click', () => state.shown && download(state.shown.blob, stem() + '.colorized.png'));
  $('dl-hints').addEventListener('click', async () => download(await hintBlob(), stem() + '.hints.png'));
  $('copy-cmd').addEventListener('click', copyCommand);

  const hints = $('hints');
  hints.addEventListener('pointerdown', pointerDown);
  hints.addEventListener('pointermove', pointerMove);
  hints.addEventListener('pointerup', pointerUp);
  hints.addEventListener('pointercancel', pointerUp);
  $('result').addEventListener('click', pickColor);

  document.addEventListener('keydown', (e) => {
    if (e.target.matches('input, select, textarea') || $('view-paint').hidden) return;
    const k = e.key.toLowerCase();
    if ((e.ctrlKey || e.metaKey) && k === 'z') { e.preventDefault(); e.shiftKey ? redo() : undo(); }
    else if ((e.ctrlKey || e.metaKey) && k === 'y') { e.preventDefault(); redo(); }
    else if (!e.ctrlKey && !e.metaKey && !e.altKey) {
      const tool = { d: 'dot', s: 'stroke', e: 'eraser', i: 'pick' }[k];
      if (tool) setTool(tool);
      if (k === 'h') { $('show-hints').checked = !$('show-hints').checked; $('hints').hidden = !$('show-hints').checked; }
    }
  });
  window.addEventListener('resize', layout);
  renderRecent();
  updateButtons();
}

// modelChanged recolorizes with the newly selected model.
export function modelChanged() {
  if (state.sketch) schedule(0);
}

function setTool(t) {
  if (t === 'pick' && state.tool !== 'pick') state.prevTool = state.tool;
  state.tool = t;
  document.querySelectorAll('.tool').forEach((b) => b.classList.toggle('active', b.dataset.tool === t));
  $('result').classList.toggle('picking', t === 'pick');
  $('hints').dataset.tool = t;
}

async function openSketch(file, name, pasted) {
  let bmp;
  try {
    bmp = await createImageBitmap(file);
  } catch (_) {
    toast(`${name}: this browser cannot show that image; convert it to PNG or JPEG`, true);
    return;
  }
  const w = bmp.width, h = bmp.height;
  const m = state.model();
  state.sketch = { file, name, pasted, w, h };
  state.ops = [];
  state.redo = [];
  state.shown = null;
  for (const c of [$('sketch'), $('hints'), $('result')]) { c.width = w; c.height = h; }
  sketchCtx.fillStyle = '#fff';
  sketchCtx.fillRect(0, 0, w, h);
  sketchCtx.drawImage(bmp, 0, 0);
  bmp.close();
  hintCtx.clearRect(0, 0, w, h);
  resultCtx.clearRect(0, 0, w, h);
  $('drop-hint').hidden = true;
  $('sketch-info').textContent = `${name} · ${w}×${h}`;
  $('brush').value = Math.max(1, dotSide());
  $('brush-out').value = $('brush').value;
  layout();
  updateButtons();
  if (m && w * h > (m.limits?.max_pixels ?? Infinity)) toast(`${w}×${h} is over the server's pixel limit`, true);
  schedule(0);
}

// dotSide is the side of a hint dot in sketch pixels: the training hint
// (hints.patch at data.size) scaled to the sketch, as infer paints points.
function dotSide() {
  const m = state.model();
  const s = state.sketch;
  if (!s) return 1;
  const patch = m?.hint_patch || 5, size = m?.data_size || 128;
  return Math.max(1, Math.round(patch * Math.min(s.w, s.h) / size));
}

// layout scales both canvases alike to fit side by side in the window.
function layout() {
  const s = state.sketch;
  if (!s) return;
  const stage = document.querySelector('.stage');
  const availW = (stage.clientWidth - 24) / 2 - 4;
  const availH = window.innerHeight - stage.getBoundingClientRect().top - 48;
  const scale = Math.min(availW / s.w, Math.max(availH, 200) / s.h, 8);
  const cw = Math.max(1, Math.floor(s.w * scale)), ch = Math.max(1, Math.floor(s.h * scale));
  for (const id of ['sketch-box', 'result-box']) {
    $(id).style.width = cw + 'px';
    $(id).style.height = ch + 'px';
  }
  document.querySelectorAll('.canvas-box canvas').forEach((c) => c.classList.toggle('pixelated', scale >= 2));
}

// pixelAt maps a pointer event to the sketch pixel under it.
function pixelAt(e, canvas) {
  const r = canvas.getBoundingClientRect();
  const x = Math.floor((e.clientX - r.left) / r.width * canvas.width);
  const y = Math.floor((e.clientY - r.top) / r.height * canvas.height);
  return [Math.min(Math.max(x, 0), canvas.width - 1), Math.min(Math.max(y, 0), canvas.height - 1)];
}

function pointerDown(e) {
  if (!state.sketch || e.button !== 0) return;
  if (state.tool === 'pick') return;
  e.preventDefault();
  const p = pixelAt(e, $('hints'));
  const color = $('color').value;
  if (state.tool === 'dot') {
    commit({ kind: 'dot', color, size: dotSide(), pts: [p] });
    return;
  }
  $('hints').setPointerCapture(e.pointerId);
  state.op = { kind: state.tool, color, size: Number($('brush').value), pts: [p] };
  stamp(hintCtx, state.op, p);
}

function pointerMove(e) {
  if (!state.op) return;
  const p = pixelAt(e, $('hints'));
  const pts = state.op.pts;
  const last = pts[pts.length - 1];
  if (p[0] === last[0] && p[1] === last[1]) return;
  segment(hintCtx, state.op, last, p);
  pts.push(p);
}

function pointerUp() {
  if (!state.op) return;
  const op = state.op;
  state.op = null;
  state.ops.push(op);
  state.redo = [];
  edited(op);
}

// commit applies a finished operation and records it.
function commit(op) {
  apply(hintCtx, op);
  state.ops.push(op);
  state.redo = [];
  edited(op);
}

function edited(op) {
  if (op.color && op.kind !== 'eraser') useColor(op.color);
  updateButtons();
  schedule();
}

function undo() {
  if (!state.ops.length) return;
  state.redo.push(state.ops.pop());
  replay();
}

function redo() {
  if (!state.redo.length) return;
  state.ops.push(state.redo.pop());
  replay();
}

function replay() {
  hintCtx.clearRect(0, 0, $('hints').width, $('hints').height);
  for (const op of state.ops) apply(hintCtx, op);
  updateButtons();
  schedule();
}

function apply(ctx, op) {
  if (op.kind === 'clear') {
    ctx.clearRect(0, 0, ctx.canvas.width, ctx.canvas.height);
    return;
  }
  stamp(ctx, op, op.pts[0]);
  for (let i = 1; i < op.pts.length; i++) segment(ctx, op, op.pts[i - 1], op.pts[i]);
}

// stamp paints (or erases) the op's square centred on pixel p: side s covers
// p − ⌊s/2⌋ … p − ⌊s/2⌋ + s − 1, as infer paints a hint point.
function stamp(ctx, op, [x, y]) {
  const h = Math.floor(op.size / 2);
  if (op.kind === 'eraser') {
    ctx.clearRect(x - h, y - h, op.size, op.size);
  } else {
    ctx.fillStyle = op.color;
    ctx.fillRect(x - h, y - h, op.size, op.size);
  }
}

// segment stamps every pixel step from a to b (a itself is already done).
function segment(ctx, op, a, b) {
  const n = Math.max(Math.abs(b[0] - a[0]), Math.abs(b[1] - a[1]));
  for (let i = 1; i <= n; i++) {
    stamp(ctx, op, [Math.round(a[0] + (b[0] - a[0]) * i / n), Math.round(a[1] + (b[1] - a[1]) * i / n)]);
  }
}

// hasHints tells whether anything was painted since the last clear (erased
// paint still counts; an empty layer colorizes as no hint at all anyway).
function hasHints() {
  for (let i = state.ops.length - 1; i >= 0; i--) {
    if (state.ops[i].kind === 'clear') return false;
    if (state.ops[i].kind !== 'eraser') return true;
  }
  return false;
}

function hintBlob() {
  return new Promise((resolve) => $('hints').toBlob(resolve, 'image/png'));
}

function useColor(c) {
  state.recent = [c, ...state.recent.filter((x) => x !== c)].slice(0, MAX_RECENT);
  renderRecent();
}

function renderRecent() {
  const box = $('recent');
  box.replaceChildren(...state.recent.map((c) => el('button', {
    class: 'swatch' + (c === $('color').value ? ' active' : ''), title: c, style: `background:${c}`, 'data-color': c,
    onclick: () => { $('color').value = c; renderRecent(); },
  })));
}

// pickColor is the eyedropper: it takes the result's color under the click.
function pickColor(e) {
  if (state.tool !== 'pick' || !state.shown) return;
  const [x, y] = pixelAt(e, $('result'));
  const d = resultCtx.getImageData(x, y, 1, 1).data;
  const hex = '#' + [d[0], d[1], d[2]].map((v) => v.toString(16).padStart(2, '0')).join('');
  $('color').value = hex;
  useColor(hex);
  setTool(state.prevTool === 'pick' ? 'dot' : state.prevTool);
  toast(`picked ${hex}`);
}

function schedule(delay = DEBOUNCE_MS) {
  clearTimeout(state.timer);
  state.waiting = true;
  state.timer = setTimeout(() => { state.waiting = false; send(); }, delay);
  syncState();
}

// syncState shows on the result canvas whether a newer result is on its
// way (data-state "busy"), for the user's spinner and for tests.
function syncState(error) {
  const busy = state.waiting || state.inFlight || state.pending;
  $('result').dataset.state = busy ? 'busy' : error ? 'error' : state.shown ? 'idle' : 'empty';
  $('spinner').hidden = !state.inFlight;
}

// send colorizes the current sketch and hints; edits made meanwhile are sent
// when the answer is in, so the result always catches up with the last edit.
async function send() {
  const s = state.sketch;
  const m = state.model();
  if (!s) return;
  if (!m) {
    syncState(true);
    toast('no model to colorize with: train one (colorize train) or start serve with --checkpoint', true);
    return;
  }
  if (state.inFlight) { state.pending = true; return; }
  state.inFlight = true;
  state.pending = false;
  syncState();
  const hinted = hasHints();
  const hint = await hintBlob();
  const form = new FormData();
  form.append('sketch', s.file, s.name);
  if (hinted) form.append('hint', hint, 'hints.png');
  form.append('model', m.id);
  const t0 = performance.now();
  let retry = 0, failed = false;
  try {
    const r = await api.colorize(form);
    const bmp = await createImageBitmap(r.blob);
    if (state.sketch === s) {
      resultCtx.clearRect(0, 0, s.w, s.h);
      resultCtx.drawImage(bmp, 0, 0);
      state.shown = { blob: r.blob, hint: hinted ? hint : null, checkpoint: r.checkpoint, model: r.model, step: r.step, maxSide: r.maxSide };
      state.version++;
      $('result').dataset.version = state.version;
      $('result-hint').hidden = true;
      const total = performance.now() - t0;
      $('timing').textContent = `· ${r.model} (step ${r.step}) · ${Math.round(total)} ms` + (r.modelMs !== null ? ` (model ${Math.round(r.modelMs)} ms)` : '');
      renderCommand();
    }
    bmp.close();
  } catch (err) {
    if (err.status === 503) {
      retry = Math.max(1, err.retryAfter) * 1000;
      toast(`server busy; trying again in ${retry / 1000} s`);
    } else {
      toast(`colorize: ${err.message}`, true);
      failed = true;
    }
  } finally {
    state.inFlight = false;
    if (retry) schedule(retry);
    else if (state.pending) send();
    syncState(failed);
    updateButtons();
  }
}

function stem() {
  const n = state.sketch ? state.sketch.name : 'sketch';
  return n.replace(/\.[^.]*$/, '') || 'sketch';
}

// command is the `colorize infer` line that writes the shown result.
function command() {
  const sh = state.shown;
  if (!sh || !state.sketch) return '';
  const parts = ['colorize', 'infer', shellQuote(state.sketch.name), '--checkpoint', shellQuote(sh.checkpoint)];
  if (sh.hint) parts.push('--hint', shellQuote(stem() + '.hints.png'));
  if (sh.maxSide) parts.push('--max-side', String(sh.maxSide));
  parts.push('-o', shellQuote(stem() + '.colorized.png'));
  return parts.join(' ');
}

function renderCommand() {
  const pre = $('command');
  const cmd = command();
  pre.hidden = !cmd;
  pre.replaceChildren(el('code', {}, cmd));
  if (cmd && state.sketch.pasted) {
    pre.append('\n', el('span', { class: 'muted' }, `# the sketch was pasted: `),
      el('a', { href: '#', onclick: (e) => { e.preventDefault(); download(state.sketch.file, state.sketch.name); } }, `save it as ${state.sketch.name}`));
  }
  if (cmd && state.shown.hint) {
    pre.append('\n', el('span', { class: 'muted' }, `# with the hint layer saved as ${stem()}.hints.png (Download hints)`));
  }
}

async function copyCommand() {
  const cmd = command();
  if (!cmd) return;
  try {
    await navigator.clipboard.writeText(cmd);
  } catch (_) {
    const ta = el('textarea', {}, cmd);
    document.body.append(ta);
    ta.select();
    document.execCommand('copy');
    ta.remove();
  }
  toast('command copied');
}

function updateButtons() {
  const has = !!state.sketch;
  $('undo').disabled = !state.ops.length;
  $('redo').disabled = !state.redo.length;
  $('clear').disabled = !has || !hasHints();
  $('dl-result').disabled = !state.shown;
  $('dl-hints').disabled = !has;
  $('copy-cmd').disabled = !state.shown;
}
