// What the Teach view shows of a training: the scores, a bar per class, the confusion matrix, the warnings.
import { $, language, t } from "../common.js";

const percent = (x) => (x === null || x === undefined ? "–" : `${(100 * x).toFixed(1)}%`);

export function showResults(result) {
  if (!result) return;
  $("results").hidden = false;
  $("result-line").textContent = t("resultLine", {
    model: result.model || result.run, val: percent(result.val_accuracy),
    n: result.held_out, test: result.held_out ? percent(result.test_accuracy) : t("noHeldOut"),
  });
  perClass($("per-class"), result);
  confusion($("confusion"), result.classes, result.confusion_matrix);
  warnings($("warnings"), result.warnings || []);
  $("run-note").textContent = t("runNote", { dir: result.run_dir });
}

function row(table, cells, tag = "td") {
  const tr = document.createElement("tr");
  for (const cell of cells) {
    const td = document.createElement(tag);
    if (cell instanceof Node) td.append(cell); else td.textContent = cell;
    tr.append(td);
  }
  table.append(tr);
  return tr;
}

function perClass(table, result) {
  table.innerHTML = "";
  row(table, [t("classCol"), t("examplesCol"), t("heldOutCol"), t("accuracyCol")], "th");
  for (const name of result.classes) {
    const score = result.per_class[name] || { accuracy: null, photos: 0 };
    const track = document.createElement("span");
    track.className = "track";
    const bar = document.createElement("span");
    bar.className = "bar";
    bar.style.width = `${100 * (score.accuracy || 0)}%`;
    track.append(bar);
    const cell = document.createElement("span");
    cell.className = "score";
    cell.append(track, document.createTextNode(` ${percent(score.accuracy)}`));
    row(table, [name, result.examples[name] ?? "", score.photos, cell]);
  }
}

function confusion(table, classes, matrix) {
  table.innerHTML = "";
  if (!matrix || !matrix.length) return;
  row(table, ["", ...classes], "th");
  matrix.forEach((counts, i) => {
    const tr = row(table, [classes[i], ...counts]);
    tr.firstChild.className = "rowname";
    counts.forEach((n, j) => { if (n) tr.children[j + 1].className = i === j ? "right" : "wrong"; });
  });
}

function warnings(list, items) {
  list.innerHTML = "";
  for (const item of items) {
    const li = document.createElement("li");
    li.textContent = language() === "zh" ? item.zh : item.en;
    li.dataset.kind = item.kind;
    list.append(li);
  }
}
