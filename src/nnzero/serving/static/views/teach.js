// The Teach view: name a few classes, give each examples (hold a button on the webcam, drop photos or a
// folder, or take photos with a phone's camera), press Train, and watch the model guess the camera live.
// What it makes is an ordinary nnzero project on the server: DIR/<class>/*.jpg and DIR/runs/ (docs/teach.md).
import { $, api, renderBars, t } from "../common.js";
import { Camera, cameraAvailable } from "../camera.js";
import { showResults } from "./teach-results.js";
import { Uploads, droppedFiles } from "./teach-uploads.js";

export { TEXT } from "./teach-text.js";

const CAPTURE_MS = 250;  // hold to capture: four frames a second
const SHOWN = 24;        // thumbnails shown per class (the newest)

let page = null;
let project = null;      // what GET /api/teach answered
let named = [];          // classes named on this page that have no example yet
const uploads = new Uploads(addLocally, cardError, () => { render(); refresh(); });
let camera = null;
let previewOn = false;
let polling = null;

export function mount(root, shell) {
  page = shell;
  $("no-token").hidden = new URLSearchParams(location.search).has("token");  // writes would answer 401
  $("new-class").addEventListener("submit", (event) => { event.preventDefault(); nameClass(); });
  $("train").addEventListener("click", train);
  $("preview-toggle").addEventListener("click", () => (previewOn ? stopPreview() : startPreview()));
  setupCamera();
  relabelInputs();
  refresh();
}

export function show() { refresh(); }
export function hide() { stopPreview(); stopCamera(); }
export function accepts(model) { return Boolean(project && model.name === project.model); }
export function relabel() {
  relabelInputs();
  render();
  if (project && project.last) showResults(project.last);
}

function relabelInputs() { $("class-name").placeholder = t("classPlaceholder"); }

// ---- the project, as the server has it ----
async function refresh() {
  try {
    project = await api("/api/teach");
  } catch (err) {
    $("project-note").textContent = t("noServer");
    return;
  }
  named = named.filter((name) => !project.classes.some((c) => c.name === name));
  if (project.model && !page.currentModel()) page.refreshModels(project.model);  // reopened: its model
  render();
  if (project.last && $("results").hidden) showResults(project.last);
  const waiting = project.features.pending > 0 || project.training.running;
  if (waiting && !polling) polling = setTimeout(() => { polling = null; refresh(); }, 1000);
}

function classes() {
  const known = project ? project.classes : [];
  return [...known, ...named.map((name) => ({ name, count: 0, examples: [] }))];
}

function render() {
  if (!project) return;
  const list = $("class-list");
  const cards = new Map([...list.children].map((card) => [card.dataset.label, card]));
  list.innerHTML = "";
  for (const c of classes()) {
    const card = cards.get(c.name) || classCard(c.name);
    fillCard(card, c);
    list.append(card);
  }
  const pending = project.features.pending;
  $("features-note").textContent = pending ? t("featuresPending", { n: pending })
    : project.total ? t("featuresReady", { n: project.total }) : "";
  $("train").disabled = project.training.running || project.classes.length < 2;
  if (!project.training.running) $("train-status").textContent = project.classes.length < 2 ? t("needTwo") : "";
}

function classCard(label) {
  const card = document.createElement("div");
  card.className = "class-card";
  card.dataset.label = label;
  card.innerHTML = `
    <div class="class-head"><strong class="class-name"></strong> <span class="count muted"></span>
      <button type="button" class="x delete-class">×</button></div>
    <div class="row start wrap">
      <button type="button" class="capture"></button>
      <label class="button-like"><input type="file" class="add-files" accept="image/*" multiple><span class="t-files"></span></label>
      <label class="button-like"><input type="file" class="add-folder" webkitdirectory multiple><span class="t-folder"></span></label>
      <label class="button-like snap"><input type="file" class="snap-input" accept="image/*" capture="environment"><span class="t-snap"></span></label>
    </div>
    <p class="muted drop-note"></p><p class="error card-error"></p>
    <div class="thumbs"></div>`;
  card.querySelector(".class-name").textContent = label;
  card.querySelector(".delete-class").addEventListener("click", () => deleteClass(label));
  for (const selector of [".add-files", ".add-folder", ".snap-input"]) {
    card.querySelector(selector).addEventListener("change", (event) => {
      uploads.add(label, [...event.target.files]);
      event.target.value = "";
    });
  }
  const capture = card.querySelector(".capture");
  capture.addEventListener("pointerdown", (event) => { event.preventDefault(); startCapture(label, capture); });
  for (const end of ["pointerup", "pointerleave", "pointercancel"]) capture.addEventListener(end, stopCapture);
  card.addEventListener("dragover", (event) => { event.preventDefault(); card.classList.add("over"); });
  card.addEventListener("dragleave", () => card.classList.remove("over"));
  card.addEventListener("drop", async (event) => {
    event.preventDefault();
    card.classList.remove("over");
    uploads.add(label, await droppedFiles(event.dataTransfer));
  });
  return card;
}

function fillCard(card, c) {
  const live = Boolean(camera && camera.running);
  const waiting = uploads.waitingFor(c.name);
  card.querySelector(".count").textContent = waiting ? t("sending", { n: waiting }) : t("examples", { n: c.count });
  card.querySelector(".delete-class").title = t("deleteClass");
  card.querySelector(".capture").textContent = t("capture");
  card.querySelector(".capture").hidden = !cameraAvailable();
  card.querySelector(".capture").disabled = !live;
  card.querySelector(".snap").hidden = cameraAvailable();
  card.querySelector(".t-files").textContent = t("addFiles");
  card.querySelector(".t-folder").textContent = t("addFolder");
  card.querySelector(".t-snap").textContent = t("snap");
  card.querySelector(".drop-note").textContent = t("dropHere");
  const thumbs = card.querySelector(".thumbs");
  const old = new Map([...thumbs.querySelectorAll("figure")].map((f) => [f.dataset.id, f]));
  thumbs.innerHTML = "";
  for (const id of c.examples.slice(-SHOWN).reverse()) thumbs.append(old.get(id) || thumbnail(id));
  if (c.examples.length > SHOWN) {
    const more = document.createElement("span");
    more.className = "muted more";
    more.textContent = t("more", { n: c.examples.length - SHOWN });
    thumbs.append(more);
  }
}

function thumbnail(id) {
  const figure = document.createElement("figure");
  figure.dataset.id = id;
  const img = document.createElement("img");
  img.src = `/api/teach/examples/${id}?size=96`;
  img.alt = "";
  img.loading = "lazy";
  const x = document.createElement("button");
  x.type = "button";
  x.className = "x";
  x.textContent = "×";
  x.title = t("deleteExample");
  x.addEventListener("click", () => deleteExample(id));
  figure.append(img, x);
  return figure;
}

function nameClass() {
  const name = $("class-name").value.trim();
  $("class-error").textContent = "";
  if (!name || /[\\/]/.test(name)) { $("class-error").textContent = t("badName"); return; }
  if (classes().some((c) => c.name === name)) { $("class-error").textContent = t("exists", { name }); return; }
  named.push(name);
  $("class-name").value = "";
  render();
}

async function deleteClass(label) {
  named = named.filter((name) => name !== label);
  if (project.classes.some((c) => c.name === label)) {
    await api(`/api/teach/classes/${encodeURIComponent(label)}`, { method: "DELETE" }).catch(showError);
  }
  refresh();
}

async function deleteExample(id) {
  await api(`/api/teach/examples/${id}`, { method: "DELETE" }).catch(showError);
  refresh();
}

function showError(err) { $("class-error").textContent = err.status ? err.message : t("noServer"); }

function cardError(label, message) {
  const card = [...$("class-list").children].find((c) => c.dataset.label === label);
  if (card) card.querySelector(".card-error").textContent = message;
}

function addLocally(added) {  // the answer already says what is there: no need to ask again per frame
  let c = project.classes.find((k) => k.name === added.label);
  if (!c) {
    c = { name: added.label, count: 0, examples: [] };
    project.classes.push(c);
    named = named.filter((name) => name !== added.label);
  }
  c.examples.push(...added.ids);
  c.count = added.counts[added.label];
  project.total += added.ids.length;
  project.features.pending += added.ids.length;
  render();
}

// ---- the camera: captures for a class, and the live preview ----
let capturing = null;

function setupCamera() {
  if (!cameraAvailable()) {  // plain http on a classroom network: a phone's own camera app instead
    $("teach-camera").hidden = true;
    $("preview-toggle").hidden = true;
    $("preview-snap").hidden = false;
    $("teach-camera-note").textContent = t("noCamera");
    $("teach-camera-note").dataset.i18n = "noCamera";
    $("preview-snap-input").addEventListener("change", (event) => {
      const model = page.currentModel();
      if (model && event.target.files[0]) answer(model, event.target.files[0], performance.now(), true);
      else $("teach-meta").textContent = t("previewNeedsModel");
      event.target.value = "";
    });
    return;
  }
  camera = new Camera($("teach-video"));
  $("teach-camera").addEventListener("click", () => (camera.running ? stopCamera() : startCamera()));
}

async function startCamera() {
  try {
    await camera.start();
  } catch (err) {
    $("teach-camera-note").textContent = t("cameraDenied", { why: err.name || err.message });
    return false;
  }
  $("teach-video").hidden = false;
  setLabel($("teach-camera"), "cameraStop");
  render();
  return true;
}

function stopCamera() {
  if (!camera || !camera.running) return;
  stopCapture();
  stopPreview();
  camera.stop();
  $("teach-video").hidden = true;
  setLabel($("teach-camera"), "cameraStart");
  render();
}

function setLabel(element, key) {
  element.textContent = t(key);
  element.dataset.i18n = key;
}

function startCapture(label, button) {
  if (!camera || !camera.running || capturing) return;
  const capture = { burst: null };  // the frames of one held press share a burst: held out together
  button.classList.add("on");
  const grab = async () => {
    const blob = await camera.frame();
    if (blob) uploads.add(label, [new File([blob], "capture.jpg", { type: "image/jpeg" })], capture);
  };
  grab();
  capturing = { timer: setInterval(grab, CAPTURE_MS), button };
}

function stopCapture() {
  if (!capturing) return;
  clearInterval(capturing.timer);
  capturing.button.classList.remove("on");
  capturing = null;
}

// ---- train ----
async function train() {
  $("train").disabled = true;
  $("train-status").classList.remove("error");
  const started = performance.now();
  const poll = setInterval(async () => {
    const now = await api("/api/teach").catch(() => null);
    const stage = now && now.training.running ? now.training.stage : "fitting";
    $("train-status").textContent = t(`stage_${stage}`, { s: ((performance.now() - started) / 1000).toFixed(0) });
  }, 500);
  try {
    const result = await api("/api/teach/train", { method: "POST" });
    project.model = result.model;
    project.last = result;
    showResults(result);
    await page.refreshModels(result.model);  // the picker (and the preview) now has the new model
    $("train-status").textContent = t("trained", { s: result.seconds.toFixed(1) });
    if (camera && camera.running && !previewOn) startPreview();
  } catch (err) {
    $("train-status").textContent = t("failed", { why: err.status ? err.message : t("noServer") });
    $("train-status").classList.add("error");
  } finally {
    clearInterval(poll);
    refresh();
  }
}

// ---- the live preview: each frame answered as soon as the previous answer is back ----
async function startPreview() {
  if (!page.currentModel() && project && project.model) await page.refreshModels(project.model);
  if (!page.currentModel()) { $("teach-meta").textContent = t("previewNeedsModel"); return; }
  if (!camera) return;
  if (!camera.running && !(await startCamera())) return;
  previewOn = true;
  setLabel($("preview-toggle"), "previewStop");
  while (previewOn) {
    const started = performance.now();
    const blob = await camera.frame();
    const model = page.currentModel();
    if (blob && model) await answer(model, new File([blob], "frame.jpg", { type: "image/jpeg" }), started);
    const rest = 150 - (performance.now() - started);  // at most ~6 a second: the server has other users
    if (rest > 0) await new Promise((resolve) => setTimeout(resolve, rest));
  }
}

function stopPreview() {
  if (!previewOn) return;
  previewOn = false;
  setLabel($("preview-toggle"), "previewStart");
}

async function answer(model, file, started, once = false) {
  try {
    const result = await page.predict(model.name, { file }, Math.min(5, model.classes.length));
    if (!previewOn && !once) return;
    $("teach-guess").textContent = result.unknown ? t("unknown") : result.top[0].label;
    $("teach-guess").classList.toggle("unknown", Boolean(result.unknown));
    renderBars($("teach-bars"), result.top);
    $("teach-meta").textContent = t("previewMeta", {
      model: result.model, ms: result.ms.toFixed(0), rt: (performance.now() - started).toFixed(0),
    });
  } catch (err) {
    $("teach-meta").textContent = err.status ? err.message : t("noServer");
  }
}
