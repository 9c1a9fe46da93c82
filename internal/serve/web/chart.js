// chart.js: line charts drawn as SVG, with nice axis ticks, a legend and a
// hover read-out. Long series are averaged into one point per pixel column.

const NS = 'http://www.w3.org/2000/svg';
export const COLORS = ['#d6336c', '#1c7ed6', '#f08c00', '#2f9e44', '#7048e8', '#0c8599', '#e8590c', '#5c940d', '#862e9c', '#495057'];

function node(tag, attrs = {}, text) {
  const n = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, v);
  if (text !== undefined) n.textContent = text;
  return n;
}

// niceTicks returns about n round values covering [lo, hi].
export function niceTicks(lo, hi, n = 5) {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((f) => f * mag).find((s) => s >= raw);
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

// smooth is an exponential moving average with bias correction, as
// TensorBoard draws noisy training curves.
export function smooth(points, weight) {
  let avg = 0, n = 0;
  return points.map(([x, y]) => {
    avg = avg * weight + (1 - weight) * y;
    n++;
    return [x, avg / (1 - weight ** n)];
  });
}

// bucket averages points falling in the same of `columns` x-columns.
function bucket(points, x0, x1, columns) {
  if (points.length <= columns * 2) return points;
  const out = [];
  let cur = -1, sx = 0, sy = 0, k = 0;
  for (const [x, y] of points) {
    const c = Math.floor((x - x0) / (x1 - x0 || 1) * columns);
    if (c !== cur && k) { out.push([sx / k, sy / k]); sx = sy = k = 0; }
    cur = c; sx += x; sy += y; k++;
  }
  if (k) out.push([sx / k, sy / k]);
  return out;
}

function label(v) {
  const a = Math.abs(v);
  if (a >= 10000) return (v / 1000).toFixed(0) + 'k';
  if (a >= 100 || v === 0) return String(Math.round(v));
  if (a >= 1) return v.toFixed(2).replace(/\.?0+$/, '');
  return v.toPrecision(2);
}

// lineChart draws series [{label, color, points: [[x, y]...]}] into svg.
export function lineChart(svg, series, { xLabel = 'step', height = 200 } = {}) {
  const width = Math.max(svg.clientWidth || svg.parentElement.clientWidth || 400, 200);
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('height', height);
  svg.replaceChildren();
  const m = { l: 48, r: 16, t: 22, b: 28 };
  const pw = width - m.l - m.r, ph = height - m.t - m.b;
  const all = series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  if (!all.length) {
    svg.append(node('text', { x: width / 2, y: height / 2, class: 'empty', 'text-anchor': 'middle' }, 'no data yet'));
    svg.dataset.points = '0';
    svg.dataset.last = '';
    return;
  }
  let x0 = Math.min(...all.map((p) => p[0])), x1 = Math.max(...all.map((p) => p[0]));
  svg.dataset.last = String(x1); // the newest step drawn
  let y0 = Math.min(...all.map((p) => p[1])), y1 = Math.max(...all.map((p) => p[1]));
  if (x1 === x0) { x0 -= 1; x1 += 1; }
  if (y1 === y0) { y0 -= Math.abs(y0) * 0.1 || 1; y1 += Math.abs(y1) * 0.1 || 1; }
  const pad = (y1 - y0) * 0.05;
  y0 -= pad; y1 += pad;
  const sx = (x) => m.l + (x - x0) / (x1 - x0) * pw;
  const sy = (y) => m.t + (1 - (y - y0) / (y1 - y0)) * ph;

  const grid = node('g', { class: 'grid' });
  for (const v of niceTicks(y0, y1, 4)) {
    grid.append(node('line', { x1: m.l, x2: m.l + pw, y1: sy(v), y2: sy(v) }));
    grid.append(node('text', { x: m.l - 6, y: sy(v) + 4, 'text-anchor': 'end' }, label(v)));
  }
  for (const v of niceTicks(x0, x1, Math.max(3, Math.floor(pw / 70)))) {
    grid.append(node('line', { x1: sx(v), x2: sx(v), y1: m.t, y2: m.t + ph, class: 'v' }));
    const edge = sx(v) > width - 24; // the last label ends at the edge, not past it
    grid.append(node('text', { x: edge ? width - 2 : sx(v), y: m.t + ph + 16, 'text-anchor': edge ? 'end' : 'middle' }, label(v)));
  }
  grid.append(node('text', { x: m.l - 6, y: m.t + ph + 16, 'text-anchor': 'end', class: 'axis-label' }, xLabel));
  svg.append(grid);

  let total = 0;
  const drawn = [];
  series.forEach((s, i) => {
    const pts = bucket(s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y)), x0, x1, pw);
    if (!pts.length) return;
    total += pts.length;
    const color = s.color || COLORS[i % COLORS.length];
    const d = pts.map(([x, y], k) => (k ? 'L' : 'M') + sx(x).toFixed(1) + ' ' + sy(y).toFixed(1)).join('');
    svg.append(node('path', { d, class: 'series', stroke: color, 'data-label': s.label, 'data-points': pts.length }));
    if (pts.length === 1) svg.append(node('circle', { cx: sx(pts[0][0]), cy: sy(pts[0][1]), r: 3, fill: color }));
    drawn.push({ ...s, color, pts });
  });
  svg.dataset.points = String(total);

  // Legend, left to right along the top.
  let lx = m.l;
  for (const s of drawn) {
    svg.append(node('rect', { x: lx, y: 6, width: 10, height: 10, fill: s.color, rx: 2 }));
    const t = node('text', { x: lx + 14, y: 15, class: 'legend' }, s.label);
    svg.append(t);
    lx += 22 + 7 * s.label.length;
  }

  // Hover: a vertical rule and the values of each series at that step.
  const rule = node('line', { y1: m.t, y2: m.t + ph, class: 'rule', visibility: 'hidden' });
  const readout = node('text', { class: 'readout', visibility: 'hidden', y: m.t + 12 });
  svg.append(rule, readout);
  svg.onpointermove = (e) => {
    const r = svg.getBoundingClientRect();
    const px = (e.clientX - r.left) * width / r.width;
    if (px < m.l || px > m.l + pw) { svg.onpointerleave(); return; }
    const x = x0 + (px - m.l) / pw * (x1 - x0);
    const parts = drawn.map((s) => {
      let best = s.pts[0];
      for (const p of s.pts) if (Math.abs(p[0] - x) < Math.abs(best[0] - x)) best = p;
      return `${s.label} ${label(best[1])}`;
    });
    rule.setAttribute('x1', px); rule.setAttribute('x2', px);
    readout.textContent = `step ${Math.round(x)} · ` + parts.join(' · ');
    const right = px > m.l + pw / 2;
    readout.setAttribute('x', right ? px - 6 : px + 6);
    readout.setAttribute('text-anchor', right ? 'end' : 'start');
    rule.setAttribute('visibility', 'visible');
    readout.setAttribute('visibility', 'visible');
  };
  svg.onpointerleave = () => {
    rule.setAttribute('visibility', 'hidden');
    readout.setAttribute('visibility', 'hidden');
  };
}
