// The web export's shell: nnzero serve's predict view, answered in the browser by onnxruntime-web.
//
// The view (views/predict.js, unchanged) talks to `page` only; here `page.predict` decodes the picture,
// prepares it as preprocess.json says (prepare.js) and runs model.onnx. Nothing is sent anywhere.
// Opened from disk (file://) the browser lets a page fetch nothing, not even its own files, so the model
// and onnxruntime's WebAssembly are also shipped as scripts (model.js, ort-embed.js) that set globals;
// served over http(s) it fetches model.onnx and the .wasm as they are.
import { $, addText, applyLanguage, language, onLanguage, setLanguage, t } from "./common.js";
import { NoInk, normalise, prepareInput } from "./prepare.js";
import * as view from "./views/predict.js";

const { model: MODEL, preprocess: DOC } = window.NNZERO_EXPORT;
const MAX_PIXELS = 40000000;  // as nnzero serve: a decompression bomb is refused before it is drawn

addText({
  en: {
    tagline: "neural networks from zero", model: "Model", langButton: "中文",
    info: "{name}: {arch} trained on {data}, {classes} classes, input {size}×{size} {kind}{acc}",
    acc: ", test accuracy {acc}%", digits: "digit", photoKind: "photo",
    offline: "Runs in this browser with onnxruntime-web: your pictures never leave this page.",
    noInk: "No ink found: the picture looks blank (write the digit darker or bigger?)",
    notImage: "This file is not an image the browser can read.", tooManyPixels: "The image has over 40 megapixels.",
    runtimeFailed: "The model could not start in this browser ({why}).",
  },
  zh: {
    tagline: "从零开始的神经网络", model: "模型", langButton: "English",
    info: "{name}: {arch}, 训练数据 {data}, {classes} 个类别, 输入 {size}×{size} {kind}{acc}",
    acc: ", 测试准确率 {acc}%", digits: "数字", photoKind: "照片",
    offline: "模型在这个浏览器里由 onnxruntime-web 运行: 你的图片不会离开这个网页。",
    noInk: "没有找到笔迹: 图片看起来是空白的 (数字写得更黑或更大一些?)",
    notImage: "浏览器无法读取这个文件, 它不是图片。", tooManyPixels: "图片超过 4000 万像素。",
    runtimeFailed: "模型无法在这个浏览器中启动 ({why})。",
  },
});
addText(view.TEXT);
addText({  // the view's words where the answer comes from this browser, not a server
  en: { meta: "{model} answered in {ms} ms in this browser ({inf} ms in the network)", failed: "The model could not answer." },
  zh: { meta: "{model} 在这个浏览器中用时 {ms} 毫秒 (网络前向 {inf} 毫秒)", failed: "模型无法给出结果。" },
});

const fail = (message) => Object.assign(new Error(message), { status: 422 });

function loadScript(src) {
  return new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = src;
    script.onload = resolve;
    script.onerror = () => reject(new Error(`${src} did not load`));
    document.head.append(script);
  });
}

function bytesOf(base64) {
  const text = atob(base64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

let session = null;
async function startRuntime() {
  const ort = window.ort;
  ort.env.wasm.numThreads = self.crossOriginIsolated ? Math.min(4, navigator.hardwareConcurrency || 1) : 1;
  ort.env.wasm.proxy = false;
  let model;
  if (location.protocol === "file:") {
    await Promise.all([loadScript("ort-embed.js"), loadScript("model.js")]);
    ort.env.wasm.wasmBinary = bytesOf(window.NNZERO_ORT_WASM);
    const glue = new Blob([window.NNZERO_ORT_GLUE], { type: "text/javascript" });
    ort.env.wasm.wasmPaths = { mjs: URL.createObjectURL(glue) };
    model = bytesOf(window.NNZERO_MODEL);
  } else {
    ort.env.wasm.wasmPaths = new URL("./", location.href).href;
    model = new Uint8Array(await (await fetch("model.onnx")).arrayBuffer());
  }
  return ort.InferenceSession.create(model, { executionProviders: ["wasm"] });
}

async function decode(input) {
  const blob = input.file || (await (await fetch(input.canvas)).blob());
  let bitmap;
  try {
    bitmap = await createImageBitmap(blob, { imageOrientation: "from-image", premultiplyAlpha: "none", colorSpaceConversion: "none" });
  } catch (err) {
    throw fail(t("notImage"));
  }
  if (bitmap.width * bitmap.height > MAX_PIXELS) throw fail(t("tooManyPixels"));
  const canvas = document.createElement("canvas");
  [canvas.width, canvas.height] = [bitmap.width, bitmap.height];
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  ctx.drawImage(bitmap, 0, 0);
  return { w: bitmap.width, h: bitmap.height, rgba: ctx.getImageData(0, 0, bitmap.width, bitmap.height).data };
}

function pictureOf(pixels) {  // the prepared input as a PNG data URL: what the network saw
  const [h, w, c] = [DOC.size[0], DOC.size[1], DOC.channels];
  const canvas = document.createElement("canvas");
  [canvas.width, canvas.height] = [w, h];
  const ctx = canvas.getContext("2d");
  const image = ctx.createImageData(w, h);
  for (let p = 0; p < w * h; p++) {
    for (let k = 0; k < 3; k++) image.data[4 * p + k] = pixels[(c === 1 ? 0 : k) * w * h + p];
    image.data[4 * p + 3] = 255;
  }
  ctx.putImageData(image, 0, 0);
  return canvas.toDataURL("image/png");
}

function top(probs, k) {
  return Array.from(probs, (prob, i) => ({ label: MODEL.classes[i], prob }))
    .sort((a, b) => b.prob - a.prob)
    .slice(0, k);
}

// What a view may use of the shell: the same contract as nnzero serve's shell.js.
export const page = {
  models: () => [MODEL],
  currentModel: () => MODEL,
  refreshModels: async () => {},
  async predict(name, input, k) {
    const start = performance.now();
    try {
      session = session || (await startRuntime());
    } catch (err) {
      throw fail(t("runtimeFailed", { why: err.message || err }));
    }
    const { w, h, rgba } = await decode(input);
    let pixels;
    try {
      pixels = prepareInput(DOC, rgba, w, h, Boolean(input.canvas));
    } catch (err) {
      throw err instanceof NoInk ? fail(t("noInk")) : err;
    }
    const shape = [1, DOC.channels, DOC.size[0], DOC.size[1]];
    const image = new window.ort.Tensor("float32", normalise(pixels, DOC), shape);
    const ran = performance.now();
    const outputs = await session.run({ image });
    const done = performance.now();
    const probs = outputs.probabilities.data;
    const score = DOC.unknown ? outputs[DOC.unknown.output].data[0] : null;  // nnzero's "none of my classes"
    return {
      model: name, top: top(probs, k), probabilities: Array.from(probs), ms: done - start,
      inference_ms: done - ran, input: pictureOf(pixels), unknown: score !== null && score < DOC.threshold, score,
    };
  },
};
window.nnzeroPage = page;  // for programs and tests: nnzeroPage.predict(name, {file}, k)
window.nnzeroPrepare = (rgba, w, h, drawing) => prepareInput(DOC, rgba, w, h, drawing);  // RGBA -> (C, H, W)

function showModelInfo() {
  const acc = MODEL.metrics.test_accuracy ?? MODEL.metrics.val_accuracy;
  $("model-info").textContent = t("info", {
    name: MODEL.name, arch: MODEL.architecture, data: MODEL.dataset || "?", classes: MODEL.classes.length,
    size: MODEL.input.size, kind: MODEL.input.kind === "digits" ? t("digits") : t("photoKind"),
    acc: acc === undefined ? "" : t("acc", { acc: (100 * acc).toFixed(2) }),
  });
}

onLanguage(() => {
  $("lang").textContent = t("langButton");
  showModelInfo();
  if (view.relabel) view.relabel();
});
$("lang").addEventListener("click", () => setLanguage(language() === "en" ? "zh" : "en"));
$("model").add(new Option(MODEL.name, MODEL.name));
applyLanguage();
view.mount($("view-predict"), page);
if (view.show) view.show();
