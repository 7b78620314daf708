"""The web export's bundler: nnzero's JavaScript modules joined into one classic script (fast, no browser)."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from nnzero.export.bundle import bundle
from nnzero.export.web import MODULES


def test_the_pages_modules_bundle_in_dependency_order():
    sources = {path: file.read_text(encoding="utf-8") for path, file in MODULES.items()}
    script = bundle(sources, "web.js")
    order = [
        script.index(f"// ---- {path} ----")
        for path in ("pixels.js", "ink.js", "prepare.js", "common.js", "web.js")
    ]
    assert order[:3] == sorted(order[:3]) and order[3] < order[4] and order[2] < order[4]
    assert "\nexport " not in script and "\nimport " not in script
    assert 'const { NoInk, normalise, prepareInput } = __modules["prepare.js"];' in script
    assert 'const view = __modules["views/predict.js"];' in script
    node = shutil.which("node")
    if node:  # a syntax check where Node.js is installed (the browser test runs it for real)
        subprocess.run([node, "--check", "-"], input=script, text=True, check=True, capture_output=True)


@pytest.mark.parametrize(
    "source, what",
    [("export default 1;", "an export"), ("export { a };", "an export"), ('import "./b.js";', "an import")],
)
def test_forms_it_does_not_know_are_errors_naming_the_line(source, what):
    with pytest.raises(ValueError, match=f"a.js:2: {what} the bundler does not know"):
        bundle({"a.js": "// first line\n" + source}, "a.js")


def test_a_missing_or_circular_module_is_an_error():
    with pytest.raises(ValueError, match="imports b.js, which is not among"):
        bundle({"a.js": 'import { x } from "./b.js";'}, "a.js")
    circle = {
        "a.js": 'import { x } from "./b.js";\nexport const y = 1;',
        "b.js": 'import { y } from "./a.js";\nexport const x = 2;',
    }
    with pytest.raises(ValueError, match="in a circle: a.js -> b.js -> a.js"):
        bundle(circle, "a.js")
