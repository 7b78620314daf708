// What every view of nnzero's page shares: the two languages, the top-classes bars, talking to the server.
// Plain JavaScript modules, no build step, no network access beyond the page's own server.

export const $ = (id) => document.getElementById(id);
export const MAX_BYTES = 10 * 1024 * 1024;  // the server's upload limit (413 above it)

// ---- languages: each view adds its own table of texts ----
const TEXT = { en: {}, zh: {} };
const listeners = [];

export function addText(table) {
  Object.assign(TEXT.en, table.en);
  Object.assign(TEXT.zh, table.zh);
}

function initialLanguage() {  // ?lang=zh, else the last choice on this page, else the browser's language
  const chosen = new URLSearchParams(location.search).get("lang") || localStorage.getItem("nnzero-lang");
  if (chosen === "en" || chosen === "zh") return chosen;
  const browser = (navigator.languages && navigator.languages[0]) || navigator.language || "en";
  return browser.toLowerCase().startsWith("zh") ? "zh" : "en";
}
let lang = initialLanguage();

export function language() { return lang; }

export function t(key, fields = {}) {
  const text = TEXT[lang][key] ?? TEXT.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, k) => fields[k]);
}

export function onLanguage(callback) { listeners.push(callback); }

export function setLanguage(next) {
  lang = next;
  localStorage.setItem("nnzero-lang", lang);
  applyLanguage();
}

export function applyLanguage(root = document) {
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  root.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = t(el.dataset.i18n); });
  root.querySelectorAll("[data-i18n-title]").forEach((el) => { el.title = t(el.dataset.i18nTitle); });
  if (root === document) listeners.forEach((callback) => callback(lang));
}

// ---- the server ----
// A write over the network needs the token the server printed at start-up: the page's URL carries
// it as ?token=..., and every request that changes something sends it back as a Bearer header.
const token = new URLSearchParams(location.search).get("token");

export async function api(path, options = {}) {
  const headers = new Headers(options.headers || {});
  if (token && (options.method || "GET") !== "GET") headers.set("Authorization", `Bearer ${token}`);
  const response = await fetch(path, { ...options, headers });
  const type = response.headers.get("Content-Type") || "";
  const body = type.includes("json") ? await response.json() : await response.text();
  if (!response.ok) {
    const message = (body && (body.error || body.detail)) || response.statusText;
    throw Object.assign(new Error(message), { status: response.status, body });
  }
  return body;
}

// ---- showing an answer ----
export function renderBars(list, top) {
  list.innerHTML = "";
  for (const { label, prob } of top) {
    const item = document.createElement("li");
    const name = document.createElement("span");
    name.className = "label";
    name.textContent = label;
    name.title = label;
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
    list.append(item);
  }
}
