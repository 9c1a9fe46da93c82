// app.js: the page's entry — tabs, the model picker, and the two views.

import { api } from './api.js';
import { el, fmt, toast } from './ui.js';
import { initPaint, modelChanged } from './paint.js';
import { initRuns, showRuns } from './runs.js';

const $ = (id) => document.getElementById(id);
let models = [];
let limits = {};

function selectedModel() {
  const m = models.find((x) => x.id === $('model').value);
  return m ? { ...m, limits } : null;
}

async function loadModels() {
  try {
    const data = await api.models();
    const keep = $('model').value;
    models = data.models;
    limits = data.limits;
    const sel = $('model');
    sel.replaceChildren(...models.map((m) => el('option', { value: m.id },
      `${m.id} · step ${m.step}` + (m.val_l1 !== null ? ` · val L1 ${fmt(m.val_l1)}` : ''))));
    if (!models.length) sel.append(el('option', { value: '' }, 'no checkpoints yet'));
    sel.value = models.some((m) => m.id === keep) ? keep : data.default;
  } catch (err) {
    toast(`models: ${err.message}`, true);
  }
}

function showView(name) {
  document.querySelectorAll('.tab').forEach((t) => t.classList.toggle('active', t.dataset.view === name));
  $('view-paint').hidden = name !== 'paint';
  $('view-runs').hidden = name !== 'runs';
  showRuns(name === 'runs');
  if (name === 'paint') loadModels();
}

document.querySelectorAll('.tab').forEach((t) => t.addEventListener('click', () => showView(t.dataset.view)));
$('model').addEventListener('change', modelChanged);
$('models-refresh').addEventListener('click', loadModels);
initPaint(selectedModel);
initRuns();
loadModels();
