// The predict view: draw a digit, drop a photo or point the camera; see the top classes and the input
// the network saw. It asks `page.predict` (the server, or the browser itself in a web export).
import { $, MAX_BYTES, language, renderBars, t } from "../common.js";
import { Camera, cameraAvailable } from "../camera.js";

export const TEXT = {
  en: {
    draw: "Draw a digit", clear: "Clear", pen: "Pen", drawHint: "The answer updates as you draw.",
    photo: "Or a photo, or the camera", drop: "Drop an image here, or click to choose one", answer: "Answer",
    idle: "Draw a digit or drop a picture.", seen: "What the network saw", thinking: "Thinking…",
    tooBig: "The file is over 10 MB; choose a smaller picture.", failed: "Could not reach the server.",
    meta: "{model} answered in {ms} ms on the server ({inf} ms in the network), {rt} ms round trip",
    cameraStart: "Start the camera", cameraStop: "Stop the camera",
    cameraHint: "The camera's picture is answered several times a second.", snap: "Take a photo",
    noCamera: "This browser gives the camera only to https:// or localhost pages: take a photo instead.",
    cameraDenied: "The camera could not start ({why}).", unknown: "unknown",
    unknownHint: "None of this model's classes, it thinks (the bars still show each class's probability).",
    imagenetSwitch: "Also show what the pretrained network recognises (ImageNet's 1000 classes)",
    imagenetTitle: "ImageNet, as the pretrained network sees it",
  },
  zh: {
    draw: "写一个数字", clear: "清除", pen: "笔宽", drawHint: "边写边出结果。",
    photo: "或者一张照片, 或摄像头", drop: "把图片拖到这里, 或点击选择", answer: "结果",
    idle: "写一个数字, 或上传一张图片。", seen: "网络看到的输入", thinking: "计算中…",
    tooBig: "文件超过 10 MB, 请换一张小一点的图片。", failed: "无法连接服务器。",
    meta: "{model} 在服务器上用时 {ms} 毫秒 (网络前向 {inf} 毫秒), 往返 {rt} 毫秒",
    cameraStart: "打开摄像头", cameraStop: "关闭摄像头",
    cameraHint: "每秒识别几次实时画面。", snap: "拍一张照片",
    noCamera: "浏览器只允许 https:// 或 localhost 的网页使用摄像头: 请改用拍照。",
    cameraDenied: "摄像头无法启动 ({why})。", unknown: "不确定",
    unknownHint: "模型认为这不属于它的任何一个类别 (条形图仍显示每个类别的概率)。",
    imagenetSwitch: "同时显示预训练网络自己认出的东西 (ImageNet 的 1000 个类别)",
    imagenetTitle: "预训练网络眼中的 ImageNet 类别",
  },
};

let page = null;
let lastInput = null;  // what to send again when the model changes: {canvas} or {file}
let sequence = 0;      // answers to older requests are dropped, so a slow one never overwrites a newer one
let lastResult = null;
let camera = null;
let live = false;      // the camera's frames are being answered, one request at a time

export function accepts(model) { return model.input.kind !== "sound"; }  // sound models: the listen view

export function mount(root, shell) {
  page = shell;
  setupCanvas();
  setupPhotos();
  setupCamera();
  $("imagenet").addEventListener("change", () => { if (lastInput && !live) send(lastInput); });
  showImagenetSwitch(page.currentModel());
  $("seen").addEventListener("load", () => {
    $("seen-size").textContent = `(${$("seen").naturalWidth}×${$("seen").naturalHeight})`;
  });
}

export function hide() { stopCamera(); }

export function modelChanged(model) {
  showImagenetSwitch(model);
  if (lastInput && !live) send(lastInput);
}

function showImagenetSwitch(model) {  // only a model whose backbone kept its ImageNet classifier
  $("imagenet-switch").hidden = !(model && model.imagenet);
}

function imagenetWanted() {
  const model = page.currentModel();
  return Boolean(model && model.imagenet && $("imagenet").checked);
}

export function relabel() {  // the language changed: the last answer in the new words
  if (lastResult) showResult(lastResult.result, lastResult.roundTrip);
}

// ---- drawing ----
let ctx = null;
let drawing = false;
let hasInk = false;
let last = null;
let timer = null;
let lastSent = 0;

function setupCanvas() {
  const canvas = $("canvas");
  ctx = canvas.getContext("2d");
  ctx.lineCap = "round";
  ctx.lineJoin = "round";
  ctx.strokeStyle = "#111";
  ctx.fillStyle = "#111";
  const point = (event) => {
    const box = canvas.getBoundingClientRect();  // the canvas may be shown smaller than its 280x280 pixels
    return [(event.clientX - box.left) * canvas.width / box.width, (event.clientY - box.top) * canvas.height / box.height];
  };
  const penWidth = () => Number($("pen").value);
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
  const endStroke = () => {
    if (!drawing) return;
    drawing = false;
    clearTimeout(timer);
    timer = null;
    predictCanvas();
  };
  canvas.addEventListener("pointerup", endStroke);
  canvas.addEventListener("pointercancel", endStroke);
  $("clear").addEventListener("click", () => {
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    hasInk = false;
    if (lastInput && lastInput.canvas) lastInput = null;
  });
}

function schedule() {  // while drawing: at most one request every 150 ms, the latest strokes included
  if (timer) return;
  const wait = Math.max(0, 150 - (performance.now() - lastSent));
  timer = setTimeout(() => { timer = null; predictCanvas(); }, wait);
}

function predictCanvas() {
  if (!hasInk) return;
  stopCamera();
  lastSent = performance.now();
  lastInput = { canvas: $("canvas").toDataURL("image/png") };
  send(lastInput);
}

// ---- photos ----
function useFile(file) {
  if (!file) return;
  stopCamera();
  $("preview").src = URL.createObjectURL(file);
  $("preview").hidden = false;
  if (file.size > MAX_BYTES) { showError(t("tooBig")); return; }
  lastInput = { file };
  send(lastInput);
}

function setupPhotos() {
  $("file").addEventListener("change", (event) => useFile(event.target.files[0]));
  $("snap").addEventListener("change", (event) => useFile(event.target.files[0]));
  const drop = $("drop");
  drop.addEventListener("dragover", (event) => { event.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (event) => {
    event.preventDefault();
    drop.classList.remove("over");
    useFile(event.dataTransfer.files[0]);
  });
}

// ---- the camera: each frame answered as soon as the previous answer is back ----
function setupCamera() {
  if (!cameraAvailable()) {  // plain http on a classroom network: the phone's camera app instead
    $("camera-toggle").hidden = true;
    $("snap-label").hidden = false;
    $("camera-note").textContent = t("noCamera");
    $("camera-note").dataset.i18n = "noCamera";
    return;
  }
  camera = new Camera($("video"));
  $("camera-toggle").addEventListener("click", () => (live ? stopCamera() : startCamera()));
}

async function startCamera() {
  try {
    await camera.start();
  } catch (err) {
    showError(t("cameraDenied", { why: err.name || err.message }));
    return;
  }
  live = true;
  $("video").hidden = false;
  $("preview").hidden = true;
  $("camera-toggle").textContent = t("cameraStop");
  $("camera-toggle").dataset.i18n = "cameraStop";
  liveLoop();
}

function stopCamera() {
  if (!live) return;
  live = false;
  camera.stop();
  $("video").hidden = true;
  $("camera-toggle").textContent = t("cameraStart");
  $("camera-toggle").dataset.i18n = "cameraStart";
}

async function liveLoop() {
  while (live) {
    const started = performance.now();
    const blob = await camera.frame();
    if (blob) {
      lastInput = { file: new File([blob], "camera.jpg", { type: "image/jpeg" }) };
      await send(lastInput);
    }
    const rest = 150 - (performance.now() - started);  // at most ~6 answers a second: the server has other users
    if (rest > 0) await new Promise((resolve) => setTimeout(resolve, rest));
  }
}

// ---- asking ----
async function send(input) {
  const model = page.currentModel();
  if (!model) return;
  const id = ++sequence;
  const k = Math.min(10, model.classes.length);
  if (!live) $("status").textContent = t("thinking");
  const start = performance.now();
  try {
    const query = imagenetWanted() ? { imagenet: 5 } : {};
    const body = await page.predict(model.name, { ...input, query }, k);
    if (id !== sequence) return;
    lastResult = { result: body, roundTrip: performance.now() - start };
    showResult(body, lastResult.roundTrip);
  } catch (err) {
    if (id === sequence) showError(err.status ? err.message : t("failed"));
  }
}

function showError(message) {
  lastResult = null;
  $("status").textContent = message;
  $("status").classList.add("error");
  $("guess").textContent = "";
  $("bars").innerHTML = "";
  showImagenet(null);
  $("meta").textContent = "";
}

function showImagenet(classes) {  // the backbone's own top ImageNet classes, named in the page's language
  $("imagenet-box").hidden = !classes;
  if (!classes) return;
  const key = language() === "zh" ? "label_zh" : "label";
  renderBars($("imagenet-bars"), classes.map((c) => ({ label: c[key], prob: c.prob })));
}

function showResult(result, roundTrip) {
  $("status").classList.remove("error");
  $("status").textContent = result.unknown ? t("unknownHint") : "";
  $("guess").textContent = result.unknown ? t("unknown") : result.top[0].label;
  $("guess").classList.toggle("unknown", Boolean(result.unknown));
  renderBars($("bars"), result.top);
  showImagenet(result.imagenet);
  $("meta").textContent = t("meta", {
    model: result.model, ms: result.ms.toFixed(1), inf: result.inference_ms.toFixed(1), rt: roundTrip.toFixed(0),
  });
  $("seen").src = result.input;
  $("seen-box").hidden = false;
}
