"""The web export: a folder whose index.html runs the model in the browser, from disk or any static host.

    write_web(folder, ckpt, preprocess_doc)   # beside model.onnx and preprocess.json, already written

It reuses nnzero serve's predict view, common.js and camera.js unchanged (from serving/static: read as
files, not imported) under a small shell of its own (static/web.js) whose ``page.predict`` prepares the
picture in JavaScript as preprocess.json says (static/prepare.js, ink.js, pixels.js) and runs model.onnx
with onnxruntime-web. The modules are joined into one classic script (bundle.py), and the model and
onnxruntime's WebAssembly are also written as scripts, because a page opened from disk may load scripts
but fetch nothing.
"""

from __future__ import annotations

import base64
import html
import json
import re
import shutil
from pathlib import Path

from nnzero.export.bundle import bundle
from nnzero.export.ort_files import FILES, PACKAGE, VERSION, ort_files

HERE = Path(__file__).parent / "static"
SERVING = Path(__file__).parents[1] / "serving" / "static"  # nnzero serve's page: the view we reuse
## bundle path -> file: the shell and the preparation (ours), the view and its helpers (nnzero serve's)
MODULES = {
    "web.js": HERE / "web.js",
    "prepare.js": HERE / "prepare.js",
    "ink.js": HERE / "ink.js",
    "pixels.js": HERE / "pixels.js",
    "common.js": SERVING / "common.js",
    "camera.js": SERVING / "camera.js",
    "views/predict.js": SERVING / "views" / "predict.js",
}
NOTICE = f"""This folder runs an nnzero model in the browser with {PACKAGE} {VERSION} (ort.wasm.min.js,
ort-wasm-simd-threaded.mjs and .wasm; ort-embed.js holds the last two for pages opened from disk).
{PACKAGE}: Copyright (c) Microsoft Corporation, MIT License, https://github.com/microsoft/onnxruntime
"""


def model_entry(ckpt: dict, doc: dict) -> dict:
    """The model as the predict view knows models (nnzero serve's GET /api/models)."""
    from nnzero.models import count_parameters, create_model

    name = Path(ckpt.get("path", "model")).parent.name or ckpt["model_name"]
    spec = ckpt["input_spec"]
    model = create_model(ckpt["model_name"], **ckpt["model_kwargs"])
    return {
        "name": name,
        "architecture": ckpt["model_name"],
        "dataset": ckpt.get("dataset", ""),
        "classes": doc["classes"],
        "input": {"kind": spec["kind"], "channels": spec["channels"], "size": spec["size"]},
        "metrics": {k: v for k, v in (ckpt.get("metrics") or {}).items() if isinstance(v, (int, float))},
        "parameters": count_parameters(model),
        "imagenet": False,  # an export carries only its own classes: the view hides the ImageNet switch
    }


def _script(name: str, value: str) -> str:
    return f"window.{name} = {json.dumps(value)};\n"


def app_script(ckpt: dict, doc: dict) -> str:
    """app.js: the export's settings, then the bundled modules."""
    settings = {"model": model_entry(ckpt, doc), "preprocess": doc}
    sources = {path: file.read_text(encoding="utf-8") for path, file in MODULES.items()}
    return f"window.NNZERO_EXPORT = {json.dumps(settings, ensure_ascii=False)};\n" + bundle(sources, "web.js")


## nnzero serve's index.html becomes the export's: its own files, no tabs, no API links, the bundled script
_PAGE_EDITS = [
    (r'href="/static/style\.css"', 'href="style.css"'),
    (r"<title>nnzero</title>", "<title>nnzero: {title}</title>"),
    (r'\s*<nav id="views"[^>]*></nav>', ""),
    (r'<div id="view-root"></div>', '<main id="view-predict">\n{view}\n  </main>'),
    (r"<footer>.*?</footer>", '<footer data-i18n="offline">{offline}</footer>'),
    (r'<script type="module" src="/static/shell\.js"></script>',
     '<script src="ort.wasm.min.js"></script>\n  <script src="app.js"></script>'),
]  # fmt: skip
OFFLINE = "Runs in this browser with onnxruntime-web: your pictures never leave this page."


def index_html(ckpt: dict) -> str:
    """nnzero serve's page shell with the predict view inside; an edit that no longer applies is an error,
    so a change to that page is noticed here rather than in a user's browser."""
    page = (SERVING / "index.html").read_text(encoding="utf-8")
    fields = {"title": html.escape(f"{ckpt['model_name']} ({ckpt.get('dataset') or '?'})"), "offline": OFFLINE,
              "view": (SERVING / "views" / "predict.html").read_text(encoding="utf-8")}  # fmt: skip
    for pattern, replacement in _PAGE_EDITS:
        page, count = re.subn(pattern, lambda _, r=replacement: r.format(**fields), page, count=1, flags=re.S)
        if count != 1:
            raise ValueError(
                f"serving/static/index.html changed: {pattern!r} not found; update export/web.py"
            )
    return page


def write_web(
    folder: Path,
    ckpt: dict,
    doc: dict,
    *,
    dry_run: bool = False,
    ort_dir=None,
    registries=None,
    cache_dir=None,
) -> dict:
    """index.html, style.css, app.js, model.js and onnxruntime-web's files into ``folder``.

    ``dry_run`` writes the page but not onnxruntime-web (nor downloads it): it says where it would come from.
    """
    (folder / "index.html").write_text(index_html(ckpt), encoding="utf-8")
    shutil.copyfile(SERVING / "style.css", folder / "style.css")
    (folder / "app.js").write_text(app_script(ckpt, doc), encoding="utf-8")
    model = base64.b64encode((folder / "model.onnx").read_bytes()).decode()
    (folder / "model.js").write_text(_script("NNZERO_MODEL", model), encoding="utf-8")
    result = {"onnxruntime_web": VERSION, "source": str(ort_dir) if ort_dir else "npm registry (cached)"}
    if dry_run:
        return result | {"files_written": False}
    files = ort_files(ort_dir, registries, cache_dir)
    for name in FILES:
        shutil.copyfile(files[name], folder / name)
    glue = files["ort-wasm-simd-threaded.mjs"].read_text(encoding="utf-8")
    wasm = base64.b64encode(files["ort-wasm-simd-threaded.wasm"].read_bytes()).decode()
    embedded = _script("NNZERO_ORT_GLUE", glue) + _script("NNZERO_ORT_WASM", wasm)
    (folder / "ort-embed.js").write_text(embedded, encoding="utf-8")
    (folder / "THIRD_PARTY.txt").write_text(NOTICE, encoding="utf-8")
    return result | {"files_written": True, "from": str(files["ort.wasm.min.js"].parent)}
