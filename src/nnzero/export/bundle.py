"""JavaScript modules joined into one classic script, so a page opened from disk can run them.

    bundle({"common.js": source, "views/predict.js": source, "web.js": source}, entry="web.js")

Chromium refuses ``<script type="module">`` files on a ``file://`` page (a module is fetched with CORS, and a
file has no origin), but runs classic scripts. nnzero's page is written as modules, and the web export
reuses them unchanged; this joins them, each in its own function scope, in the order they import one
another. Only the forms nnzero's modules use are accepted, each on its own line::

    import { a, b as c } from "./x.js";      import * as x from "./x.js";
    export function f / export async function f / export const X / export let x / export class C

Anything else (``export default``, ``export {...}``, a bare ``import "x"``) is an error naming the line,
so a new form is noticed when the module is written, not in a user's browser.
"""

from __future__ import annotations

import json
import posixpath
import re

_IMPORT = re.compile(r'^import\s+(?:\{([^}]*)\}|\*\s+as\s+([\w$]+))\s+from\s+"([^"]+)";?\s*$')
_EXPORT = re.compile(r"^export\s+(?:async\s+function\*?|function\*?|const|let|var|class)\s+([\w$]+)")


def _imports(path: str, source: str) -> tuple[list[tuple[str, str, str]], list[str], str]:
    """([(binding, module path, names) ...], exported names, body without the import/export syntax)."""
    imports, exports, body = [], [], []
    for number, line in enumerate(source.splitlines(), 1):
        stripped = line.strip()
        if stripped.startswith("import ") or stripped.startswith("import{"):
            match = _IMPORT.match(stripped)
            if not match:
                raise ValueError(f"{path}:{number}: an import the bundler does not know: {stripped}")
            names, star, target = match.groups()
            target = posixpath.normpath(posixpath.join(posixpath.dirname(path), target))
            imports.append((star or "", target, names or ""))
            body.append("")
            continue
        if line.startswith("export "):
            match = _EXPORT.match(line)
            if not match:
                raise ValueError(f"{path}:{number}: an export the bundler does not know: {stripped}")
            exports.append(match.group(1))
            line = line[len("export ") :]
        body.append(line)
    return imports, exports, "\n".join(body)


def _binding(star: str, target: str, names: str) -> str:
    module = f"__modules[{json.dumps(target)}]"
    if star:
        return f"const {star} = {module};"
    pairs = [n.strip() for n in names.split(",") if n.strip()]
    fields = [p.replace(" as ", ": ") if " as " in p else p for p in pairs]
    return f"const {{ {', '.join(fields)} }} = {module};"


def bundle(modules: dict[str, str], entry: str) -> str:
    """One classic script running ``entry`` and every module it imports, dependencies first."""
    parsed = {path: _imports(path, source) for path, source in modules.items()}
    order: list[str] = []

    def visit(path: str, trail: tuple[str, ...]) -> None:
        if path in order:
            return
        if path in trail:
            raise ValueError(f"modules import each other in a circle: {' -> '.join((*trail, path))}")
        if path not in parsed:
            raise ValueError(f"{trail[-1]} imports {path}, which is not among the bundled modules")
        for _, target, _ in parsed[path][0]:
            visit(target, (*trail, path))
        order.append(path)

    visit(entry, ())
    parts = ['"use strict";', "(() => {", "const __modules = {};"]
    for path in order:
        imports, exports, body = parsed[path]
        bindings = "\n".join(_binding(*i) for i in imports)
        parts.append(
            f"// ---- {path} ----\n__modules[{json.dumps(path)}] = (() => {{\n{bindings}\n{body}\n"
            f"return {{ {', '.join(exports)} }};\n}})();"
        )
    parts.append("})();")
    return "\n".join(parts) + "\n"
