// Pixel arithmetic as Pillow and NumPy do it, so the page prepares a picture as nnzero does (preprocess.json).
//
// An image here is {w, h, c, data}: data is a Uint8Array of w*h*c interleaved values, or a Float32Array for a
// one-channel float image (Pillow's mode "F"). Each function says which Pillow or NumPy call it follows;
// tests/export/test_web.py checks them against Python on real pictures.

// Python's round() and NumPy's rint(): halves go to the even neighbour.
export function roundHalfEven(x) {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

// ---- decoding's last step: Pillow's to_mode (transparency on white, then grey or RGB) ----
// Pillow's alpha_composite(white, rgba): 7-bit fixed point, divisions by 255 rounded as it rounds them.
function onWhite(value, alpha) {
  if (alpha === 0) return 255;
  const outa255 = alpha * 255 + 255 * (255 - alpha);
  const coef1 = Math.floor((alpha * 255 * 255 * 128) / outa255);
  const coef2 = 255 * 128 - coef1;
  const tmp = value * coef1 + 255 * coef2 + (0x80 << 7);
  return (((tmp >> 8) + tmp) >> 8) >> 7;
}

// RGBA bytes (as a canvas gives them) -> {w, h, c: 1 | 3}: grey is Pillow's convert("L"),
// L = (19595 R + 38470 G + 7471 B + 32768) >> 16.
export function toMode(rgba, w, h, channels) {
  const out = new Uint8Array(w * h * channels);
  const opaque = rgba.every((v, i) => i % 4 !== 3 || v === 255);
  for (let p = 0; p < w * h; p++) {
    let [r, g, b] = [rgba[4 * p], rgba[4 * p + 1], rgba[4 * p + 2]];
    if (!opaque) {
      const a = rgba[4 * p + 3];
      [r, g, b] = [onWhite(r, a), onWhite(g, a), onWhite(b, a)];
    }
    if (channels === 1) out[p] = (r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16;
    else out.set([r, g, b], 3 * p);
  }
  return { w, h, c: channels, data: out };
}

// ---- Pillow's Image.resize (libImaging/Resample.c): separable, antialiased, two passes ----
export const FILTERS = {
  box: { support: 0.5, f: (x) => (x > -0.5 && x <= 0.5 ? 1 : 0) },
  bilinear: { support: 1, f: (x) => Math.max(0, 1 - Math.abs(x)) },
  lanczos: {
    support: 3,
    f: (x) => (x >= -3 && x < 3 ? sinc(x) * sinc(x / 3) : 0),
  },
};
function sinc(x) {
  if (x === 0) return 1;
  const px = x * Math.PI;
  return Math.sin(px) / px;
}

// Which input pixels (start, count) and weights make each output pixel: Pillow's precompute_coeffs.
function coefficients(inSize, in0, in1, outSize, filter) {
  const scale = Math.fround(Math.fround(in1) - Math.fround(in0)) / outSize;  // C: (double)(float - float)
  const filterscale = Math.max(scale, 1);
  const support = filter.support * filterscale;
  const bounds = [];
  const weights = [];
  for (let xx = 0; xx < outSize; xx++) {
    const center = Math.fround(in0) + (xx + 0.5) * scale;
    const xmin = Math.max(0, Math.trunc(center - support + 0.5));
    const xmax = Math.min(inSize, Math.trunc(center + support + 0.5)) - xmin;
    const k = [];
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      const w = filter.f((x + xmin - center + 0.5) * (1 / filterscale));
      k.push(w);
      ww += w;
    }
    bounds.push([xmin, xmax]);
    weights.push(ww !== 0 ? k.map((w) => w / ww) : k);
  }
  return { bounds, weights };
}

// 8-bit images use 22-bit fixed-point weights, rounded and clipped to 0..255 (normalize_coeffs_8bpc).
function fixedPoint(weights) {
  return weights.map((k) => k.map((w) => Math.trunc(w < 0 ? -0.5 + w * 4194304 : 0.5 + w * 4194304)));
}

function pass(src, outW, outH, coeffs, horizontal, rowOffset) {
  const float = src.data instanceof Float32Array;
  const { c } = src;
  const out = { w: outW, h: outH, c, data: float ? new Float32Array(outW * outH) : new Uint8Array(outW * outH * c) };
  const kk = float ? coeffs.weights : fixedPoint(coeffs.weights);
  for (let y = 0; y < outH; y++) {
    for (let x = 0; x < outW; x++) {
      const [start, count] = coeffs.bounds[horizontal ? x : y];
      const k = kk[horizontal ? x : y];
      for (let ch = 0; ch < c; ch++) {
        let ss = float ? 0 : 2097152;  // 1 << 21: rounds the fixed-point sum
        for (let i = 0; i < count; i++) {
          const sx = horizontal ? start + i : x;
          const sy = horizontal ? y + rowOffset : start + i;
          ss += src.data[(sy * src.w + sx) * c + ch] * k[i];
        }
        out.data[(y * outW + x) * c + ch] = float ? ss : Math.min(255, Math.max(0, Math.floor(ss / 4194304)));
      }
    }
  }
  return out;
}

// Image.resize((outW, outH), filter, box=[left, top, right, bottom]) for 8-bit or float images.
export function resize(img, outW, outH, filterName, box = [0, 0, img.w, img.h]) {
  const filter = FILTERS[filterName];
  const [left, top, right, bottom] = box.map(Math.fround);
  if (outW === img.w && outH === img.h && left === 0 && top === 0 && right === img.w && bottom === img.h) {
    return { ...img, data: img.data.slice() };
  }
  const needH = outW !== img.w || left !== 0 || right !== outW;
  const needV = outH !== img.h || top !== 0 || bottom !== outH;
  const vert = coefficients(img.h, top, bottom, outH, filter);
  const first = vert.bounds[0][0];
  const last = vert.bounds[outH - 1][0] + vert.bounds[outH - 1][1];
  let cur = img;
  if (needH) {
    cur = pass(img, outW, last - first, coefficients(img.w, left, right, outW, filter), true, first);
    vert.bounds = vert.bounds.map(([s, n]) => [s - first, n]);
  }
  return needV ? pass(cur, cur.w, outH, vert, false, 0) : cur;
}

// ---- NumPy's statistics on plain arrays ----
function sorted(values) { return Float64Array.from(values).sort(); }

// np.percentile(values, q) with linear interpolation (NumPy's _lerp, exact at both ends).
export function percentile(values, q, isSorted = false) {
  const a = isSorted ? values : sorted(values);
  const index = (q / 100) * (a.length - 1);
  const lo = Math.floor(index);
  const t = index - lo;
  if (lo + 1 >= a.length) return a[a.length - 1];
  const diff = a[lo + 1] - a[lo];
  return t >= 0.5 ? a[lo + 1] - diff * (1 - t) : a[lo] + diff * t;
}

export function median(values) {
  const a = sorted(values);
  const n = a.length;
  return n % 2 ? a[(n - 1) / 2] : Math.fround(Math.fround(a[n / 2 - 1] + a[n / 2]) / 2);
}
