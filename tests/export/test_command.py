"""`nnzero export` as a user meets it: help in two languages, --dry-run, --json, the files, and clear errors;
`nnzero predict model.onnx` without torch; the NumPy engine's runs; the library's zip for a download button."""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from torch import nn

from nnzero.cli import main

from .conftest import DIGITS

pytest.importorskip("onnxruntime", reason="pip install 'nnzero[export]'")


def test_help_in_english_and_chinese(capsys):
    for lang, words in (("en", "export a trained model to ONNX"), ("zh", "导出为 ONNX")):
        with pytest.raises(SystemExit):
            main(["--lang", lang, "export", "--help"])
        out = capsys.readouterr().out
        assert words in out and "nnzero export runs/NAME/best.pt --format web --out mnist-web" in out


def test_dry_run_checks_and_writes_nothing(small_checkpoint, tmp_path, capsys):
    assert main(["export", str(small_checkpoint), "--out", str(tmp_path / "new" / "x"), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "onnxruntime and PyTorch agree on 2 real images" in out and "dry run: nothing written" in out
    assert list(tmp_path.iterdir()) == []


@pytest.fixture(scope="module")
def exported_json(small_checkpoint, tmp_path_factory) -> tuple[Path, dict]:
    """`nnzero export CKPT --out DIR --json` once for the tests below: (DIR, what it printed)."""
    out = tmp_path_factory.mktemp("command") / "onnx"
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        assert main(["export", str(small_checkpoint), "--out", str(out), "--json"]) == 0
    return out, json.loads(buffer.getvalue().splitlines()[-1])


def test_the_files_and_what_they_say(exported_json):
    import onnx

    out, result = exported_json
    assert result["check"]["images"] == 32 and result["check"]["same_top1"] == 32
    assert result["check"]["max_abs_diff"] <= 1e-4 and result["seconds"]["total"] > 0
    assert sorted(p.name for p in out.iterdir()) == [
        "MODEL_CARD.md",
        "labels.txt",
        "model.onnx",
        "preprocess.json",
    ]
    model = onnx.load(out / "model.onnx")
    onnx.checker.check_model(model, full_check=True)
    assert model.producer_name.startswith("nnzero") and model.opset_import[0].version == 18
    assert [i.name for i in model.graph.input] == ["image"]
    ## probabilities, logits and (an MNIST run stores nnzero's unknown answer) its score
    assert [o.name for o in model.graph.output] == ["probabilities", "logits", "unknown_score"]
    batch = model.graph.input[0].type.tensor_type.shape.dim[0]
    assert batch.dim_param and not batch.dim_value  # a dynamic batch
    doc = json.loads((out / "preprocess.json").read_text())
    assert doc["kind"] == "digit" and doc["size"] == [28, 28] and doc["channels"] == 1
    assert 0 < doc["threshold"] < 1 and doc["unknown"]["rule"] == "unknown when unknown_score < threshold"
    assert (
        doc["mean"] == [0.1307]
        and doc["input_layout"] == "NCHW"
        and doc["classes"] == [str(d) for d in range(10)]
    )
    assert (out / "labels.txt").read_text().split() == doc["classes"]
    card = (out / "MODEL_CARD.md").read_text()
    assert "test_accuracy" in card and "CC BY-SA 3.0" in card and "## 模型卡片" in card and "预期用途" in card


def test_an_earlier_export_is_replaced_and_any_other_folder_refused(
    small_checkpoint, exported_json, tmp_path, capsys
):
    again = tmp_path / "again"
    shutil.copytree(exported_json[0], again)
    (again / "stale.txt").write_text("from before")
    assert main(["export", str(small_checkpoint), "--out", str(again), "--check", "2"]) == 0
    assert not (again / "stale.txt").exists() and (again / "model.onnx").is_file()
    assert [p.name for p in tmp_path.iterdir()] == ["again"]  # no staging folder left behind
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("mine")
    assert main(["export", str(small_checkpoint), "--out", str(tmp_path / "mine")]) == 2
    assert "is not an earlier export" in capsys.readouterr().err


def test_predict_an_export_without_torch(small_checkpoint, exported_json, capsys):
    """nnzero predict model.onnx answers as nnzero predict best.pt, in a Python where torch cannot be imported."""
    pictures = [str(DIGITS / n) for n in ("d7_0_paper.jpg", "d3_18_scan.png")]
    capsys.readouterr()
    assert main(["predict", str(small_checkpoint), *pictures, "--json"]) == 0
    ours = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    block_torch = "import sys; sys.modules['torch'] = None; from nnzero.cli import main; raise SystemExit(main(sys.argv[1:]))"
    command = [
        sys.executable,
        "-c",
        block_torch,
        "predict",
        str(exported_json[0] / "model.onnx"),
        *pictures,
        "--json",
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    theirs = [json.loads(line) for line in done.stdout.splitlines()]
    for a, b in zip(ours, theirs, strict=True):
        assert a["top"][0]["label"] == b["top"][0]["label"] and a["label"] == b["label"]
        assert all(abs(x["prob"] - y["prob"]) <= 1e-4 for x, y in zip(a["top"], b["top"]))


def test_a_checkpoint_that_is_not_one(tmp_path, capsys):
    fake = tmp_path / "best.pt"
    fake.write_text("not a checkpoint")
    assert main(["export", str(fake), "--out", str(tmp_path / "x")]) == 2
    assert "is not an nnzero checkpoint" in capsys.readouterr().err and not (tmp_path / "x").exists()


class DependsOnData(nn.Module):
    """Python control flow on a tensor's value: torch.export cannot trace it into a graph."""

    def forward(self, x):
        return x if x.sum() > 0 else -x


def test_a_layer_onnx_cannot_express_is_named():
    from nnzero.errors import NnzeroError
    from nnzero.export.onnx_graph import Classifier, write_onnx

    model = nn.Sequential(
        nn.Conv2d(1, 4, 3), nn.ReLU(), DependsOnData(), nn.Flatten(), nn.Linear(4 * 26 * 26, 10)
    )
    with pytest.raises(NnzeroError) as err:
        write_onnx(Classifier(model), 1, 28, "/nonexistent/model.onnx", {})
    message = str(err.value)
    assert "ONNX export failed at layer `2` (DependsOnData)" in message and "data-dependent" in message


def test_a_numpy_engine_run_exports(tmp_path, capsys):
    import nnzero

    run = nnzero.scratch.fit("softmax", epochs=1, limit=2000, name="soft", runs_dir=tmp_path, progress=False,
                             say=lambda m: None)  # fmt: skip
    capsys.readouterr()
    assert main(["export", str(run.dir), "--out", str(tmp_path / "onnx"), "--json"]) == 0
    result = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert result["model_name"] == "softmax" and result["check"]["same_top1"] == 32
    assert result["checkpoint"] == str(run.dir / "model.npz")


def test_a_zip_for_a_download_button(small_checkpoint, tmp_path):
    from nnzero.export import export_zip

    data, result = export_zip(small_checkpoint, "onnx", check=2)
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert sorted(names) == [
        f"nnzero-onnx/{n}" for n in ("MODEL_CARD.md", "labels.txt", "model.onnx", "preprocess.json")
    ]
    assert result["check"]["same_top1"] == 2
