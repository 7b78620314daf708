// nnzero's page: one shell (header, model picker, languages, tabs) and a view a tab.
//
// The server says which views it offers (GET /api/views: predict always, teach or listen when they
// are on). A view is static/views/<name>.html (its markup) and static/views/<name>.js, a module with
//   TEXT                      its texts, {en: {...}, zh: {...}}
//   accepts(model)            which models the picker shows while it is open (optional: all)
//   mount(root, page)         once, when first opened; `page` is the shell's side of the contract below
//   show(), hide()            when its tab is opened or left (optional: e.g. stop the camera)
//   modelChanged(model)       the picker changed (optional)
//   relabel()                 the language changed: redraw what is not data-i18n text (optional)
// so that views grow the page without editing one another's files.
import { $, addText, api, applyLanguage, language, onLanguage, setLanguage, t } from "./common.js";

addText({
  en: {
    tagline: "neural networks from zero", model: "Model", apiFor: "For programs:", langButton: "中文",
    noModels: "This server has no models for this view yet.", failed: "Could not reach the server.",
    info: "{name}: {arch} trained on {data}, {classes} classes, input {size}×{size} {kind}{acc}",
    acc: ", test accuracy {acc}%", digits: "digit", photoKind: "photo", soundKind: "sound",
  },
  zh: {
    tagline: "从零开始的神经网络", model: "模型", apiFor: "程序接口:", langButton: "English",
    noModels: "服务器上还没有适合这个视图的模型。", failed: "无法连接服务器。",
    info: "{name}: {arch}, 训练数据 {data}, {classes} 个类别, 输入 {size}×{size} {kind}{acc}",
    acc: ", 测试准确率 {acc}%", digits: "数字", photoKind: "照片", soundKind: "声音",
  },
});

let models = [];
let views = [];       // [{name, title, title_zh, module, root}]
let active = null;

// What a view may use of the shell (the web export gives its views the same, answered in the browser).
const page = {
  models: () => models.filter((m) => !active || !active.module.accepts || active.module.accepts(m)),
  currentModel: () => models.find((m) => m.name === $("model").value),
  refreshModels: loadModels,  // after a view made a new model (teach)
  async predict(model, input, k) {  // input: {canvas: dataURL} or {file: Blob}
    let options;
    if (input.canvas) {
      options = { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ canvas: input.canvas }) };
    } else {
      const form = new FormData();
      form.append("image", input.file, input.file.name || "image");
      options = { method: "POST", body: form };
    }
    const query = new URLSearchParams({ top: k, ...(input.query || {}) });
    return api(`/api/predict/${encodeURIComponent(model)}?${query}`, options);
  },
};

function modelKind(kind) {
  return kind === "digits" ? t("digits") : kind === "sound" ? t("soundKind") : t("photoKind");
}

function showModelInfo() {
  const m = page.currentModel();
  if (!m) { $("model-info").textContent = models.length && active ? t("noModels") : ""; return; }
  const acc = m.metrics.test_accuracy ?? m.metrics.val_accuracy;
  $("model-info").textContent = t("info", {
    name: m.name, arch: m.architecture, data: m.dataset || "?", classes: m.classes.length, size: m.input.size,
    kind: modelKind(m.input.kind), acc: acc === undefined ? "" : t("acc", { acc: (100 * acc).toFixed(2) }),
  });
}

function fillPicker(keep) {
  const select = $("model");
  const shown = page.models();
  select.innerHTML = "";
  for (const m of shown) select.add(new Option(m.name, m.name));
  if (keep && shown.some((m) => m.name === keep)) select.value = keep;
  showModelInfo();
}

async function loadModels(select) {
  const before = select || $("model").value;
  models = await api("/api/models");
  fillPicker(before);
  if (active && active.module.modelChanged) active.module.modelChanged(page.currentModel());
}

// ---- views ----
function tabTitle(view) { return language() === "zh" ? view.title_zh : view.title; }

async function open(name) {
  const view = views.find((v) => v.name === name) || views[0];
  if (!view) return;
  if (active && active !== view) {
    active.root.hidden = true;
    if (active.module.hide) active.module.hide();
  }
  if (!view.module) {
    const [markup, module] = await Promise.all([
      fetch(`/static/views/${view.name}.html`).then((r) => r.text()),
      import(`./views/${view.name}.js`),
    ]);
    addText(module.TEXT || { en: {}, zh: {} });
    view.root.innerHTML = markup;
    view.module = module;
    applyLanguage(view.root);
    module.mount(view.root, page);
  }
  active = view;
  view.root.hidden = false;
  document.querySelectorAll("#views button").forEach((b) => b.classList.toggle("on", b.dataset.view === name));
  fillPicker($("model").value);
  if (view.module.show) view.module.show();
  if (view.module.modelChanged) view.module.modelChanged(page.currentModel());
}

async function loadViews() {
  views = (await api("/api/views")).map((v) => ({ ...v, module: null, root: null }));
  const nav = $("views");
  nav.hidden = views.length < 2;  // one view needs no tabs
  for (const view of views) {
    view.root = document.createElement("main");
    view.root.id = `view-${view.name}`;
    view.root.hidden = true;
    $("view-root").append(view.root);
    const tab = document.createElement("button");
    tab.type = "button";
    tab.dataset.view = view.name;
    tab.textContent = tabTitle(view);
    tab.addEventListener("click", () => { location.hash = view.name; });
    nav.append(tab);
  }
}

onLanguage(() => {
  $("lang").textContent = t("langButton");
  document.querySelectorAll("#views button").forEach((b) => {
    b.textContent = tabTitle(views.find((v) => v.name === b.dataset.view));
  });
  showModelInfo();
  views.forEach((v) => v.module && v.module.relabel && v.module.relabel());
});
$("lang").addEventListener("click", () => setLanguage(language() === "en" ? "zh" : "en"));
$("model").addEventListener("change", () => {
  showModelInfo();
  if (active && active.module.modelChanged) active.module.modelChanged(page.currentModel());
});
window.addEventListener("hashchange", () => open(location.hash.slice(1)));

async function start() {
  applyLanguage();
  try {
    await loadViews();
    models = await api("/api/models");
    await open(location.hash.slice(1));
  } catch (err) {
    $("model-info").textContent = t("failed");
    $("model-info").classList.add("error");
  }
}
start();
