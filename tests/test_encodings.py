"""No command crashes on a console that cannot encode a character (a Chinese Windows console is GBK,
a bare pipe may be ASCII): what it cannot show comes out as '?'. Each command runs for real, in a fresh
process whose stdout and stderr use that encoding, with --help and its quick (--dry-run) form."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from nnzero.cli import build_parser

REPO = Path(__file__).resolve().parents[1]
DIGIT = REPO / "tests" / "fixtures" / "digits" / "mnist_test_0_7.png"

# every form runs in-process, one after the other, in one child process per encoding
DRIVER = """
import json, sys
from nnzero.cli import main
codes = []
for argv in json.loads(sys.argv[1]):
    try:
        codes.append(main(argv))
    except SystemExit as e:  # --help
        codes.append(e.code)
open(sys.argv[2], "w").write(json.dumps(codes))
"""


def _commands() -> list[str]:
    action = next(a for a in build_parser()._actions if a.dest == "command")
    return sorted(action.choices)


def _forms(checkpoint: Path, tmp: Path, lessons_lang: str) -> list[list[str]]:
    run = str(checkpoint.parent)
    quick = [
        ["train", "mnist", "--model", "mlp128", "--dry-run"],
        ["evaluate", str(checkpoint), "--dry-run"],
        ["predict", str(checkpoint), str(DIGIT)],
        ["models"],
        ["models", "--summary", "lenet5"],
        ["data", "info", "mnist", "--dry-run"],
        ["data", "export", "mnist", "--to", str(tmp / "export"), "--dry-run"],
        ["inspect", str(checkpoint), str(DIGIT), "--out", str(tmp / "sheet.png"), "--dry-run"],
        ["report", run, "--out", str(tmp / "report.html"), "--no-feature-maps", "--dry-run"],
        ["compare", run, run, "--out", str(tmp / "compare.html"), "--dry-run"],
        ["serve", "--model", str(checkpoint), "--dry-run"],
        ["scratch", "toy", "--dry-run"],
        ["submit", str(checkpoint), str(DIGIT.parent), "--out", str(tmp / "s.csv"), "--dry-run"],
        ["lesson", "all", "--dry-run"],
    ]
    forms = []
    for lang in ("en", "zh"):
        forms += [["--lang", lang, "--help"]] + [["--lang", lang, c, "--help"] for c in _commands()]
        forms += [["--lang", lang, *f] for f in quick if f[0] != "lesson" or lang == lessons_lang]
    forms.append(["--lang", "en", "lesson", "neuron", "--dry-run"])  # '·' in English, the ascii crash
    return forms


@pytest.mark.slow  # runs every command in a subprocess (about 20 s each)
@pytest.mark.parametrize("encoding, lessons_lang", [("gbk", "en"), ("ascii", "zh")])
def test_every_command_survives_a_narrow_console(encoding, lessons_lang, small_checkpoint, tmp_path):
    forms = _forms(small_checkpoint, tmp_path, lessons_lang)
    codes_file = tmp_path / "codes.json"
    env = {**os.environ, "PYTHONIOENCODING": encoding}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO / "src"), env.get("PYTHONPATH", "")])
    done = subprocess.run(
        [sys.executable, "-c", DRIVER, json.dumps(forms), str(codes_file)],
        capture_output=True,
        env=env,
        cwd=tmp_path,
        timeout=600,
    )
    assert b"UnicodeEncodeError" not in done.stderr and done.returncode == 0, done.stderr.decode(
        errors="replace"
    )
    codes = json.loads(codes_file.read_text())
    # 0, or 2 for a clean one-line refusal (submit wants a cats-vs-dogs model); never a crash
    failed = [(" ".join(f), c) for f, c in zip(forms, codes) if c not in (0, 2)]
    assert failed == [] and b"Traceback" not in done.stderr, (failed, done.stderr.decode(errors="replace"))
    assert sum(c == 0 for c in codes) >= len(codes) - 2
    out = done.stdout.decode(encoding)  # strictly decodable: what could not be shown became '?'
    assert "nnzero train" in out and "?" in out
    if encoding == "gbk":
        assert "训练" in out  # GBK shows Chinese
