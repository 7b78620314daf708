// The digit preparation's image-processing steps (nnzero's datasets/_ink.py), in plain JavaScript.
//
// A map is {w, h, data: Float32Array} (grey or ink) or a Uint8Array mask of the same size. The names and
// the constants are preprocess.json's ("steps"), where each step is spelled out in words.
import { median, percentile, resize, roundHalfEven } from "./pixels.js";

export const at = (m, y, x) => m.data[y * m.w + x];

// The ring of border pixels (`border` wide on every side; corners counted twice, as NumPy concatenates).
export function border(m, fraction) {
  const ring = Math.max(1, roundHalfEven(fraction * Math.min(m.w, m.h)));
  const out = [];
  for (let y = 0; y < ring; y++) for (let x = 0; x < m.w; x++) out.push(at(m, y, x));
  for (let y = m.h - ring; y < m.h; y++) for (let x = 0; x < m.w; x++) out.push(at(m, y, x));
  for (let y = 0; y < m.h; y++) for (let x = 0; x < ring; x++) out.push(at(m, y, x));
  for (let y = 0; y < m.h; y++) for (let x = m.w - ring; x < m.w; x++) out.push(at(m, y, x));
  return out;
}

// NumPy-style minimum or maximum over a size x size window, edges repeated (_ink._filter: the window
// grows by doubling, one axis at a time).
export function windowFilter(m, size, pick) {
  const half = Math.floor(size / 2);
  let cur = { w: m.w, h: m.h, data: Float32Array.from(m.data) };
  for (const axis of [0, 1]) {
    const [before, after] = [half, size - 1 - half];
    const n = axis === 0 ? cur.h : cur.w;
    const padded = [];
    for (let i = -before; i < n + after; i++) padded.push(Math.min(n - 1, Math.max(0, i)));  // source index
    const other = axis === 0 ? cur.w : cur.h;
    const lines = [];
    for (let o = 0; o < other; o++) {
      let line = padded.map((i) => (axis === 0 ? at(cur, i, o) : at(cur, o, i)));
      let covered = 1;
      while (covered < size) {
        const step = Math.min(covered, size - covered);
        const len = line.length - step;
        line = line.slice(0, len).map((v, i) => pick(v, line[i + step]));
        covered += step;
      }
      lines.push(line);
    }
    const len = lines[0].length;
    const next = axis === 0 ? { w: other, h: len } : { w: len, h: other };
    next.data = new Float32Array(next.w * next.h);
    lines.forEach((line, o) => line.forEach((v, i) => { next.data[axis === 0 ? i * next.w + o : o * next.w + i] = v; }));
    cur = next;
  }
  return cur;
}

// The paper's brightness at every pixel (step "flatten" of preprocess.json).
export function backgroundLevel(grey, s) {
  const { w, h } = grey;
  if (Math.min(w, h) < s.min_side) return { constant: median(border(grey, s.border)) };
  const cell = Math.ceil(Math.max(h, w) / s.grid);
  const rows = Math.ceil(h / cell);
  const cols = Math.ceil(w / cell);
  const level = { w: cols, h: rows, data: new Float32Array(rows * cols) };
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const values = [];
      for (let y = r * cell; y < (r + 1) * cell; y++) {
        for (let x = c * cell; x < (c + 1) * cell; x++) values.push(at(grey, Math.min(y, h - 1), Math.min(x, w - 1)));
      }
      level.data[r * cols + c] = percentile(values, s.percentile);
    }
  }
  const opened = windowFilter(windowFilter(level, s.opening, Math.min), s.opening, Math.max);
  return resize({ ...opened, c: 1 }, w, h, "bilinear", [0, 0, w / cell, h / cell]);
}

// Otsu's threshold over NumPy's 256-bin histogram of [min, max] (float32 bin edges, as NumPy makes them).
export function otsu(values) {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  if (hi <= lo) return hi;
  const step = (hi - lo) / 256;
  const edges = Float64Array.from({ length: 257 }, (_, i) => Math.fround(i === 256 ? hi : i * step + lo));
  const counts = new Float64Array(256);
  for (const v of values) {
    let i = Math.min(255, Math.floor(((v - lo) / (hi - lo)) * 256));
    while (i > 0 && v < edges[i]) i--;
    while (i < 255 && v >= edges[i + 1]) i++;
    counts[i]++;
  }
  let weight = 0;
  let mass = 0;
  const total = values.length;
  let totalMass = 0;
  for (let i = 0; i < 256; i++) totalMass += counts[i] * Math.fround(Math.fround(edges[i] + edges[i + 1]) / 2);
  let best = -1;
  let bestValue = -Infinity;
  for (let i = 0; i < 255; i++) {
    weight += counts[i];
    mass += counts[i] * Math.fround(Math.fround(edges[i] + edges[i + 1]) / 2);
    const between = weight * (total - weight) * (mass / weight - (totalMass - mass) / (total - weight)) ** 2;
    if (!Number.isNaN(between) && between > bestValue) { bestValue = between; best = i; }
  }
  return edges[best + 1];
}

// 8-connected blobs of a mask, found run by run: [{row, start, end}], each run's blob, each blob's box.
export function components(mask, w, h) {
  const runs = [];
  const first = [0];
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (mask[y * w + x] && (x === 0 || !mask[y * w + x - 1])) runs.push({ row: y, start: x, end: x + 1 });
      if (mask[y * w + x] && x > 0 && mask[y * w + x - 1]) runs[runs.length - 1].end = x + 1;
    }
    first.push(runs.length);
  }
  const parent = runs.map((_, i) => i);
  const root = (i) => {
    while (parent[i] !== i) { parent[i] = parent[parent[i]]; i = parent[i]; }
    return i;
  };
  for (let r = 1; r < h; r++) {
    let j = first[r - 1];
    for (let i = first[r]; i < first[r + 1]; i++) {  // runs touch (diagonals too) when they overlap widened by one
      while (j < first[r] && runs[j].end < runs[i].start) j++;
      for (let k = j; k < first[r] && runs[k].start <= runs[i].end; k++) parent[root(k)] = root(i);
    }
  }
  const roots = runs.map((_, i) => root(i));
  const ids = [...new Set(roots)].sort((a, b) => a - b);
  const number = new Map(ids.map((id, n) => [id, n]));
  const blob = roots.map((id) => number.get(id));
  const boxes = ids.map(() => [h, w, 0, 0]);  // top, left, bottom, right
  runs.forEach((run, i) => {
    const box = boxes[blob[i]];
    box[0] = Math.min(box[0], run.row);
    box[1] = Math.min(box[1], run.start);
    box[2] = Math.max(box[2], run.row + 1);
    box[3] = Math.max(box[3], run.end);
  });
  return { runs, blob, boxes };
}

// The blobs that make up the digit (step "keep_digit"): a mask of the kept runs.
export function digitMask(mask, w, h, s) {
  const { runs, blob, boxes } = components(mask, w, h);
  if (!runs.length) return mask;
  const sizes = boxes.map(() => 0);
  runs.forEach((run, i) => { sizes[blob[i]] += run.end - run.start; });
  const order = sizes.map((_, i) => i).sort((a, b) => sizes[b] - sizes[a] || a - b);
  const keep = sizes.map(() => false);
  keep[order[0]] = true;
  let [top, left, bottom, right] = boxes[order[0]];
  for (const b of order.slice(1)) {
    const [bt, bl, bb, br] = boxes[b];
    const gap = Math.max(bt - bottom, top - bb, bl - right, left - br, 0);
    const reach = s.near * Math.max(bottom - top, right - left);
    const small = sizes[b] / sizes[order[0]];
    if ((gap === 0 && small >= s.keep_inside) || (gap > 0 && gap <= reach && small >= s.keep_near)) {
      keep[b] = true;
      [top, left, bottom, right] = [Math.min(top, bt), Math.min(left, bl), Math.max(bottom, bb), Math.max(right, br)];
    }
  }
  const out = new Uint8Array(w * h);
  runs.forEach((run, i) => { if (keep[blob[i]]) out.fill(1, run.row * w + run.start, run.row * w + run.end); });
  return out;
}

// Mean stroke width of a mask: 2 x area / perimeter.
export function strokeWidth(mask, w, h) {
  let area = 0;
  let perimeter = 0;
  const on = (y, x) => y >= 0 && y < h && x >= 0 && x < w && mask[y * w + x] === 1;
  for (let y = -1; y < h; y++) {
    for (let x = -1; x < w; x++) {
      if (on(y, x)) area++;
      if (x >= 0 && on(y, x) !== on(y + 1, x)) perimeter++;
      if (y >= 0 && on(y, x) !== on(y, x + 1)) perimeter++;
    }
  }
  return perimeter ? (2 * area) / perimeter : 0;
}
