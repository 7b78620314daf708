// nnzero's page: draw a digit or drop a photo, see the top classes and the input the network saw.
// Plain JavaScript, no build step, no network access beyond this server.
"use strict";

const TEXT = {
  en: {
    tagline: "neural networks from zero", model: "Model", draw: "Draw a digit", clear: "Clear", pen: "Pen",
    drawHint: "The answer updates as you draw.", photo: "Or a photo",
    drop: "Drop an image here, or click to choose one", answer: "Answer",
    idle: "Draw a digit or drop a picture.", seen: "What the network saw", thinking: "Thinking…",
    apiFor: "For programs:", langButton: "中文", noModels: "This server has no models.",
    tooBig: "The file is over 10 MB; choose a smaller picture.", failed: "Could not reach the server.",
    meta: "{model} answered in {ms} ms on the server ({inf} ms in the network), {rt} ms round trip",
    info: "{name}: {arch} trained on {data}, {classes} classes, input {size}×{size} {kind}{acc}",
    acc: ", test accuracy {acc}%", digits: "digit", photoKind: "photo",
  },
  zh: {
    tagline: "从零开始的神经网络", model: "模型", draw: "写一个数字", clear: "清除", pen: "笔宽",
    drawHint: "边写边出结果。", photo: "或者上传一张照片",
    drop: "把图片拖到这里, 或点击选择", answer: "结果",
    idle: "写一个数字, 或上传一张图片。", seen: "网络看到的输入", thinking: "计算中…",
    apiFor: "程序接口:", langButton: "English", noModels: "服务器上没有模型。",
    tooBig: "文件超过 10 MB, 请换一张小一点的图片。", failed: "无法连接服务器。",
    meta: "{model} 在服务器上用时 {ms} 毫秒 (网络前向 {inf} 毫秒), 往返 {rt} 毫秒",
    info: "{name}: {arch}, 训练数据 {data}, {classes} 个类别, 输入 {size}×{size} {kind}{acc}",
    acc: ", 测试准确率 {acc}%", digits: "数字", photoKind: "照片",
  },
};
const MAX_BYTES = 10 * 1024 * 1024;
const $ = (id) => document.getElementById(id);

function initialLanguage() {  // ?lang=zh, else the last choice on this page, else the browser's language
  const chosen = new URLSearchParams(location.search).get("lang") || localStorage.getItem("nnzero-lang");
  if (chosen === "en" || chosen === "zh") return chosen;
  const browser = (navigator.languages && navigator.languages[0]) || navigator.language || "en";
  return browser.toLowerCase().startsWith("zh") ? "zh" : "en";
}
let lang = initialLanguage();
let models = [];
let lastInput = null;  // what to send again when the model changes: {canvas} or {file}
let sequence = 0;      // answers to older requests are dropped, so a slow one never overwrites a newer one
let lastResult = null;

function t(key, fields = {}) {
  return TEXT[lang][key].replace(/\{(\w+)\}/g, (_, k) => fields[k]);
}

function applyLanguage() {
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  document.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = t(el.dataset.i18n); });
  $("lang").textContent = t("langButton");
  showModelInfo();
  if (lastResult) showResult(lastResult.result, lastResult.roundTrip);
}

// ---- models ----
async function loadModels() {
  const response = await fetch("/api/models");
  models = await response.json();
  const select = $("model");
  select.innerHTML = "";
  for (const m of models) select.add(new Option(m.name, m.name));
  if (!models.length) $("status").textContent = t("noModels");
  showModelInfo();
}

function currentModel() { return models.find((m) => m.name === $("model").value); }

function showModelInfo() {
  const m = currentModel();
  if (!m) { $("model-info").textContent = ""; return; }
  const acc = m.metrics.test_accuracy ?? m.metrics.val_accuracy;
  $("model-info").textContent = t("info", {
    name: m.name, arch: m.architecture, data: m.dataset || "?", classes: m.classes.length, size: m.input.size,
    kind: m.input.kind === "digits" ? t("digits") : t("photoKind"),
    acc: acc === undefined ? "" : t("acc", { acc: (100 * acc).toFixed(2) }),
  });
}

// ---- drawing ----
const canvas = $("canvas");
const ctx = canvas.getContext("2d");
let drawing = false;
let hasInk = false;
let last = null;
let timer = null;
let lastSent = 0;

function point(event) {
  const box = canvas.getBoundingClientRect();  // the canvas may be shown smaller than its 280x280 pixels
  return [(event.clientX - box.left) * canvas.width / box.width, (event.clientY - box.top) * canvas.height / box.height];
}

function penWidth() { return Number($("pen").value); }

canvas.addEventListener("pointerdown", (event) => {
  event.preventDefault();
  canvas.setPointerCapture(event.pointerId);
  drawing = true;
  last = point(event);
  ctx.beginPath();
  ctx.arc(last[0], last[1], penWidth() / 2, 0, 2 * Math.PI);
  ctx.fill();
  hasInk = true;
  schedule();
});

canvas.addEventListener("pointermove", (event) => {
  if (!drawing) return;
  const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [event];
  for (const e of events.length ? events : [event]) {
    const p = point(e);
    ctx.lineWidth = penWidth();
    ctx.beginPath();
    ctx.moveTo(last[0], last[1]);
    ctx.lineTo(p[0], p[1]);
    ctx.stroke();
    last = p;
  }
  schedule();
});

function endStroke() {
  if (!drawing) return;
  drawing = false;
  clearTimeout(timer);
  timer = null;
  predictCanvas();
}
canvas.addEventListener("pointerup", endStroke);
canvas.addEventListener("pointercancel", endStroke);

function schedule() {  // while drawing: at most one request every 150 ms, the latest strokes included
  if (timer) return;
  const wait = Math.max(0, 150 - (performance.now() - lastSent));
  timer = setTimeout(() => { timer = null; predictCanvas(); }, wait);
}

function clearCanvas() {
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  hasInk = false;
}

function setupCanvas() {
  ctx.lineCap = "round";
  ctx.lineJoin = "round";
  ctx.strokeStyle = "#111";
  ctx.fillStyle = "#111";
}

function predictCanvas() {
  if (!hasInk) return;
  lastSent = performance.now();
  lastInput = { canvas: canvas.toDataURL("image/png") };
  send(lastInput);
}

// ---- photos ----
function useFile(file) {
  if (!file) return;
  $("preview").src = URL.createObjectURL(file);
  $("preview").hidden = false;
  if (file.size > MAX_BYTES) { showError(t("tooBig")); return; }
  lastInput = { file };
  send(lastInput);
}

$("file").addEventListener("change", (event) => useFile(event.target.files[0]));
const drop = $("drop");
drop.addEventListener("dragover", (event) => { event.preventDefault(); drop.classList.add("over"); });
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (event) => {
  event.preventDefault();
  drop.classList.remove("over");
  useFile(event.dataTransfer.files[0]);
});

// ---- asking the server ----
async function send(input) {
  const model = $("model").value;
  if (!model) return;
  const id = ++sequence;
  const k = Math.min(10, currentModel().classes.length);
  let options;
  if (input.canvas) {
    options = { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ canvas: input.canvas }) };
  } else {
    const form = new FormData();
    form.append("image", input.file, input.file.name);
    options = { method: "POST", body: form };
  }
  $("status").textContent = t("thinking");
  const start = performance.now();
  try {
    const response = await fetch(`/api/predict/${encodeURIComponent(model)}?top=${k}`, options);
    const body = await response.json();
    if (id !== sequence) return;
    if (!response.ok) { showError(body.error || body.detail || response.statusText); return; }
    lastResult = { result: body, roundTrip: performance.now() - start };
    showResult(body, lastResult.roundTrip);
  } catch (err) {
    if (id === sequence) showError(t("failed"));
  }
}

function showError(message) {
  lastResult = null;
  $("status").textContent = message;
  $("status").classList.add("error");
  $("guess").textContent = "";
  $("bars").innerHTML = "";
  $("meta").textContent = "";
}

function showResult(result, roundTrip) {
  $("status").textContent = "";
  $("status").classList.remove("error");
  $("guess").textContent = result.top[0].label;
  const bars = $("bars");
  bars.innerHTML = "";
  for (const { label, prob } of result.top) {
    const item = document.createElement("li");
    const name = document.createElement("span");
    name.className = "label";
    name.textContent = label;
    const track = document.createElement("span");
    track.className = "track";
    const bar = document.createElement("span");
    bar.className = "bar";
    bar.style.width = `${(100 * prob).toFixed(1)}%`;
    track.append(bar);
    const value = document.createElement("span");
    value.className = "prob";
    value.textContent = `${(100 * prob).toFixed(1)}%`;
    item.append(name, track, value);
    bars.append(item);
  }
  $("meta").textContent = t("meta", {
    model: result.model, ms: result.ms.toFixed(1), inf: result.inference_ms.toFixed(1), rt: roundTrip.toFixed(0),
  });
  $("seen").src = result.input;
  $("seen-box").hidden = false;
}

$("seen").addEventListener("load", () => {
  $("seen-size").textContent = `(${$("seen").naturalWidth}×${$("seen").naturalHeight})`;
});
$("clear").addEventListener("click", () => {
  clearCanvas();
  if (lastInput && lastInput.canvas) lastInput = null;
});
$("model").addEventListener("change", () => {
  showModelInfo();
  if (lastInput) send(lastInput);
});
$("lang").addEventListener("click", () => {
  lang = lang === "en" ? "zh" : "en";
  localStorage.setItem("nnzero-lang", lang);
  applyLanguage();
});

setupCanvas();
applyLanguage();
loadModels().catch(() => showError(t("failed")));
