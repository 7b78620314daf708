// A picture made into the model's input exactly as preprocess.json says (nnzero's inference/prepare.py):
// "digit" (a photo or a drawing of a digit made to look like MNIST), "photo" (shorter side, centre crop)
// or "resize" (squashed to the square). Input: RGBA bytes as a canvas gives them; output: uint8 (C, H, W).
import { at, backgroundLevel, border, digitMask, otsu, strokeWidth, windowFilter } from "./ink.js";
import { median, percentile, resize, roundHalfEven, toMode } from "./pixels.js";

const f32 = Math.fround;

export class NoInk extends Error {}

function stepsOf(doc) {
  const all = [...(doc.steps.photo_steps || []), ...(doc.steps.drawing_steps || []), ...(doc.steps.then || [])];
  return Object.fromEntries(all.map((s) => [s.step, s]));
}

const map = (m, fn) => ({ w: m.w, h: m.h, data: m.data.map(fn) });
const largest = (values) => values.reduce((a, b) => (b > a ? b : a), -Infinity);  // Math.max(...) overflows the stack

function isLight(grey, s) {
  const edge = median(border(grey, s.border));
  const all = Float64Array.from(grey.data).sort();
  const [darkest, brightest] = s.percentiles.map((q) => f32(percentile(all, q, true)));
  return f32(brightest - edge) < f32(edge - darkest);
}

// Step "stretch": paper to 0, the ink's typical level to 1, a soft ramp between.
function stretch(flat, s) {
  const t = otsu(flat.data);
  const below = flat.data.filter((v) => v < t);
  const paper = below.length ? median(below) : 0;
  const ink = f32(percentile(flat.data.filter((v) => v >= t), s.ink_percentile));
  if (ink - paper < s.min_contrast) return map(flat, () => 0);
  const low = paper + s.ramp_start * (ink - paper);
  const [low32, range32] = [f32(low), f32(ink - low)];
  return map(flat, (v) => Math.min(1, Math.max(0, f32(f32(v - low32) / range32))));
}

function box(m) {  // [left, top, right, bottom] of the nonzero pixels
  let [left, top, right, bottom] = [m.w, m.h, 0, 0];
  for (let y = 0; y < m.h; y++) {
    for (let x = 0; x < m.w; x++) {
      if (at(m, y, x) !== 0) {
        [left, top] = [Math.min(left, x), Math.min(top, y)];
        [right, bottom] = [Math.max(right, x + 1), Math.max(bottom, y + 1)];
      }
    }
  }
  return [left, top, right, bottom];
}

function cropPad(m, [left, top, right, bottom], pad) {
  const out = { w: right - left + 2 * pad, h: bottom - top + 2 * pad };
  out.data = new Float32Array(out.w * out.h);
  for (let y = top; y < bottom; y++) {
    for (let x = left; x < right; x++) out.data[(y - top + pad) * out.w + (x - left + pad)] = at(m, y, x);
  }
  return out;
}

function thicken(ink, s, boxSide) {
  const scale = boxSide / Math.max(...sizeOf(box(ink)));
  const width = strokeWidth(ink.data.map((v) => (v >= s.mask_at ? 1 : 0)), ink.w, ink.h);
  if (width * scale >= s.thin) return ink;
  const radius = Math.trunc((s.stroke / scale - width) / 2);
  const padded = cropPad(ink, [0, 0, ink.w, ink.h], radius);
  return radius > 0 ? windowFilter(padded, 2 * radius + 1, Math.max) : padded;
}

const sizeOf = ([left, top, right, bottom]) => [bottom - top, right - left];

// Steps "keep_digit" to "centre": an ink map in [0, 1] (bright = ink) -> uint8 (28, 28).
function toMnist(ink, s) {
  const kept = digitMask(ink.data.map((v) => (v > 0 ? 1 : 0)), ink.w, ink.h, s.keep_digit);
  ink = map(ink, (v, i) => v * kept[i]);
  if (!ink.data.some((v) => v > 0)) throw new NoInk();
  ink = thicken(cropPad(ink, box(ink), s.crop.margin), s.thicken, s.fit.box);
  const bounds = box(ink);
  const [height, width] = sizeOf(bounds);
  const scale = s.fit.box / Math.max(height, width);
  const [pw, ph] = [Math.max(1, roundHalfEven(width * scale)), Math.max(1, roundHalfEven(height * scale))];
  const patch = resize({ ...ink, c: 1 }, pw, ph, "lanczos", bounds);
  patch.data = patch.data.map((v) => Math.min(1, Math.max(0, v)));
  let [mass, my, mx] = [0, 0, 0];
  for (let y = 0; y < ph; y++) {
    for (let x = 0; x < pw; x++) {
      const v = at(patch, y, x);
      [mass, my, mx] = [mass + v, my + v * y, mx + v * x];
    }
  }
  if (mass <= 0) throw new NoInk();
  const { size, centre } = s.centre;
  const top = Math.min(size - ph, Math.max(0, roundHalfEven(centre - my / mass)));
  const left = Math.min(size - pw, Math.max(0, roundHalfEven(centre - mx / mass)));
  const out = new Uint8Array(size * size);
  for (let y = 0; y < ph; y++) {
    for (let x = 0; x < pw; x++) out[(top + y) * size + left + x] = roundHalfEven(f32(at(patch, y, x) * 255));
  }
  return out;
}

// A photo or scan of a digit ("photo_steps", then "then").
export function prepareDigit(rgba, w, h, doc) {
  const s = stepsOf(doc);
  let grey = toMode(rgba, w, h, 1);
  const scale = s.shrink.max_side / Math.max(w, h);
  if (scale < 1) grey = resize(grey, Math.max(1, roundHalfEven(w * scale)), Math.max(1, roundHalfEven(h * scale)), "box");
  grey = { w: grey.w, h: grey.h, data: Float32Array.from(grey.data) };
  if (isLight(grey, s.invert)) grey = map(grey, (v) => 255 - v);
  const level = backgroundLevel(grey, { ...s.flatten, border: s.invert.border });
  const flat = level.constant === undefined
    ? map(grey, (v, i) => f32(v - level.data[i]))
    : map(grey, (v) => f32(v - f32(level.constant)));
  return toMnist(stretch(flat, s.stretch), s);
}

// A drawing ("drawing_steps", then "then"): on a transparent canvas the strokes are the alpha channel.
export function prepareCanvas(rgba, w, h, doc) {
  const s = stepsOf(doc);
  const alpha = Float32Array.from({ length: w * h }, (_, p) => rgba[4 * p + 3]);
  let ink;
  if (alpha.some((a) => a < s.ink.alpha_below)) {
    ink = { w, h, data: alpha.map((a) => a / 255) };
  } else {
    let grey = { w, h, data: Float32Array.from(toMode(rgba, w, h, 1).data) };
    if (isLight(grey, s.invert)) grey = map(grey, (v) => 255 - v);
    const base = median(border(grey, s.invert.border));
    const range = f32(Math.max(largest(grey.data) - base, 1));
    ink = map(grey, (v) => Math.min(1, Math.max(0, f32(f32(v - f32(base)) / range))));
  }
  if (largest(ink.data) < s.ink.min_ink / 255) throw new NoInk();
  return toMnist(ink, s);
}

function crop(img, left, top, width, height) {
  const out = { w: width, h: height, c: img.c, data: new Uint8Array(width * height * img.c) };
  for (let y = 0; y < height; y++) {
    const from = ((top + y) * img.w + left) * img.c;
    out.data.set(img.data.subarray(from, from + width * img.c), y * width * img.c);
  }
  return out;
}

// "photo" and "resize": Pillow's resize and crop, then channels first.
export function preparePhoto(rgba, w, h, doc) {
  const [size, channels] = [doc.size[0], doc.channels];
  let img = toMode(rgba, w, h, channels);
  if (doc.kind === "resize") {
    img = resize(img, size, size, "bilinear");
  } else {
    const [short, long] = [Math.min(w, h), Math.max(w, h)];
    if (long > 16 * short) {  // a thin strip: only its middle 16 squares matter
      const cut = Math.floor((long - 16 * short) / 2);
      img = w > h ? crop(img, cut, 0, 16 * short, h) : crop(img, 0, cut, w, 16 * short);
    }
    const [iw, ih] = [img.w, img.h];
    const [nw, nh] = iw <= ih ? [size, Math.trunc((size * ih) / iw)] : [Math.trunc((size * iw) / ih), size];
    img = resize(img, nw, nh, "bilinear");
    img = crop(img, roundHalfEven((nw - size) / 2), roundHalfEven((nh - size) / 2), size, size);
  }
  const out = new Uint8Array(channels * size * size);  // (C, H, W)
  for (let p = 0; p < size * size; p++) for (let c = 0; c < channels; c++) out[c * size * size + p] = img.data[p * channels + c];
  return out;
}

// The model's input for a picture: uint8 (C, H, W). `drawing`: it came from the page's canvas.
export function prepareInput(doc, rgba, w, h, drawing) {
  if (doc.kind !== "digit") return preparePhoto(rgba, w, h, doc);
  return drawing ? prepareCanvas(rgba, w, h, doc) : prepareDigit(rgba, w, h, doc);
}

// x = (pixel / 255 - mean) / std in float32, as torch computes it.
export function normalise(pixels, doc) {
  const plane = doc.size[0] * doc.size[1];
  const mean = doc.mean.map(f32);
  const std = doc.std.map(f32);
  return Float32Array.from(pixels, (p, i) => {
    const c = Math.floor(i / plane);
    return f32(f32(f32(p / 255) - mean[c]) / std[c]);
  });
}
