"""Committees on real MNIST: the average is the members' mean, the shifts are the stated ones, the
checkpoint round-trips, predicts and serves, and an interrupted committee resumes to the same one."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

import nnzero
from nnzero.cli import main
from nnzero.models.committee import Committee, ShiftAverage, shift, tta_spec
from nnzero.training.checkpoint import load_checkpoint, model_from_checkpoint

from .conftest import QUIET, SMALL

REPO = Path(__file__).resolve().parents[2]
MNIST_7 = REPO / "tests" / "fixtures" / "digits" / "mnist_test_0_7.png"


def members_of(run) -> list[Path]:
    return [run.dir / "members" / str(i) / "best.pt" for i in range(SMALL["members"])]


def test_a_committee_predicts_the_mean_of_its_members_probabilities(committee_run, test_digits):
    """Checked against each member's own best.pt, loaded and run one by one."""
    images, labels = test_digits
    together = nnzero.load(committee_run.checkpoint, tta="none").probabilities(images)  # (200, 10)
    alone = [nnzero.load(m).probabilities(images) for m in members_of(committee_run)]  # 3 x (200, 10)
    np.testing.assert_allclose(together, np.mean(alone, 0), rtol=0, atol=1e-6)
    ## the members really differ (else the test could not tell a mean from a copy), and each learnt
    assert min(np.abs(a - b).max() for a in alone for b in alone if a is not b) > 0.05
    assert all((a.argmax(1) == labels).mean() > 0.5 for a in alone)  # each learnt (chance: 0.1)
    ## with the checkpoint's shifts: the mean over members of each member's own shift-average
    shifted = [nnzero.load(m, tta="shifts").probabilities(images) for m in members_of(committee_run)]
    np.testing.assert_allclose(
        nnzero.load(committee_run.checkpoint).probabilities(images), np.mean(shifted, 0), rtol=0, atol=1e-6
    )


def _moved(images: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """uint8 (N, 1, H, W) moved dy rows down and dx columns right, edge pixels repeated: NumPy alone."""
    h, w = images.shape[-2:]
    padded = np.pad(images, ((0, 0), (0, 0), (2, 2), (2, 2)), mode="edge")
    return np.ascontiguousarray(padded[..., 2 - dy : 2 - dy + h, 2 - dx : 2 - dx + w])


def test_test_time_shifts_average_the_stated_shifts_with_the_stated_weights(committee_run, test_digits):
    images, _ = test_digits
    member = members_of(committee_run)[0]
    plain = nnzero.load(member, tta="none")
    spec = tta_spec("shifts")
    assert spec["shifts"][0] == [0, 0] and abs(sum(spec["weights"]) - 1) < 1e-9
    assert all(max(abs(dy), abs(dx)) <= 2 for dy, dx in spec["shifts"]) and len(spec["shifts"]) > 1
    expected = sum(
        w * plain.probabilities(_moved(images, dy, dx))
        for (dy, dx), w in zip(spec["shifts"], spec["weights"])
    )
    averaged = nnzero.load(member, tta="shifts").probabilities(images)
    np.testing.assert_allclose(averaged, expected, rtol=0, atol=1e-5)
    assert np.abs(averaged - plain.probabilities(images)).max() > 1e-3  # the shifts do change the answer


def test_a_shift_moves_the_picture_the_stated_way():
    x = torch.arange(16.0).view(1, 1, 4, 4)
    down = shift(x, 1, 0, pad=1)  # one row down: row 0 repeats the edge, row 1 is the old row 0
    assert torch.equal(down[0, 0, 1:], x[0, 0, :-1]) and torch.equal(down[0, 0, 0], x[0, 0, 0])
    left = shift(x, 0, -2, pad=2)
    assert torch.equal(left[0, 0, :, :2], x[0, 0, :, 2:]) and torch.equal(left[0, 0, :, 3], x[0, 0, :, 3])


def test_a_committee_checkpoint_round_trips_predicts_and_serves(committee_run, tmp_path):
    raw = torch.load(
        committee_run.checkpoint, map_location="cpu", weights_only=True
    )  # plain types and tensors
    assert raw["model_name"] == "committee" and raw["model_kwargs"]["members"] == ["mlp128"] * 3
    assert raw["tta"] == tta_spec("shifts") and sorted({k.split(".")[1] for k in raw["state_dict"]}) == [
        "0",
        "1",
        "2",
    ]
    model = model_from_checkpoint(load_checkpoint(committee_run.checkpoint))
    assert isinstance(model, ShiftAverage) and isinstance(model.net, Committee)
    ## evaluated afresh, member by member: the very numbers the run reported when it assembled the committee
    result = nnzero.evaluate(committee_run.checkpoint)
    assert result["test_accuracy"] == pytest.approx(committee_run.test_accuracy, abs=1e-9)
    votes = result["committee"]
    assert len(votes["members"]) == 3 and votes["split"] == len(votes["disagreements"]) > 0
    assert votes["rescued"] + votes["lost"] == votes["split"]
    assert votes["all_right"] + votes["split"] + len(votes["all_wrong"]) == result["images"] == 10_000
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Using `httpx` with")
        from fastapi.testclient import TestClient

    from nnzero.serving.app import create_app

    with TestClient(create_app([committee_run.checkpoint])) as client:
        files = {"image": (MNIST_7.name, MNIST_7.read_bytes(), "application/octet-stream")}
        answer = client.post("/api/predict/three", files=files)
    assert answer.status_code == 200, answer.text
    assert answer.json()["top"][0]["label"] == "7"


def test_the_report_shows_every_member_and_the_votes(committee_run):
    page = (committee_run.dir / "report.html").read_text(encoding="utf-8")
    assert 'id="committee"' in page and "disagreements" in page
    assert page.count("mlp128") >= 3  # one row a member
    rows = (committee_run.dir / "members.csv").read_text().splitlines()
    assert len(rows) == 4 and rows[0].startswith("index,model,seed")
    assert [
        json.loads((committee_run.dir / "members" / str(i) / "member.json").read_text())["seed"]
        for i in range(3)
    ] == [0, 1000, 2000]


def _weights(path: Path) -> dict:
    return torch.load(path, map_location="cpu", weights_only=True)["state_dict"]


@pytest.mark.slow  # trains two of the three members again
def test_an_interrupt_between_members_then_resume_gives_the_same_committee(
    committee_run, tmp_path, monkeypatch
):
    import nnzero.training.committee.fit as fit

    real = fit.train_member

    def ctrl_c_before_the_second(plan, index, **kwargs):
        if index == 1:
            raise KeyboardInterrupt
        return real(plan, index, **kwargs)

    monkeypatch.setattr(fit, "train_member", ctrl_c_before_the_second)
    said = []
    with pytest.raises(KeyboardInterrupt):
        nnzero.train(
            "mnist", **SMALL, tta="shifts", name="cut", runs_dir=tmp_path, progress=False, say=said.append
        )
    cut = tmp_path / "cut"
    assert (cut / "members/0/member.json").exists() and not (cut / "members/1").exists()
    assert not (cut / "best.pt").exists() and f"--resume {cut}" in said[-1]
    monkeypatch.undo()
    resumed = nnzero.train("mnist", resume=cut, workers=1, **QUIET)
    straight, again = _weights(committee_run.checkpoint), _weights(resumed.checkpoint)
    assert straight.keys() == again.keys() and all(torch.equal(straight[k], again[k]) for k in straight)
    assert resumed.test_accuracy == committee_run.test_accuracy


def _nnzero(*args: str) -> list[str]:
    return [sys.executable, "-m", "nnzero", "train", "mnist", *args]


@pytest.mark.slow  # three committees of two small members, in worker processes
def test_ctrl_c_in_worker_processes_then_resume_gives_the_same_committee(tmp_path):
    """Two members side by side in two worker processes; Ctrl-C (to the whole process group, as a terminal
    sends it) while both train; --resume finishes each from its own last.pt, to the straight run's weights."""
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    ## fastcnn on 3,000 images: an epoch takes ~1.5 s in a one-thread worker, time enough to interrupt the third
    recipe = ["--members", "2", "--epochs", "3", "--limit", "3000", "--workers", "2", "--quiet"]  # fmt: skip
    straight = subprocess.run(_nnzero(*recipe, "--runs-dir", str(tmp_path), "--name", "straight"), env=env,
                              capture_output=True, text=True, timeout=300)  # fmt: skip
    assert straight.returncode == 0, straight.stderr
    cut = tmp_path / "cut"
    process = subprocess.Popen(_nnzero(*recipe, "--runs-dir", str(tmp_path), "--name", "cut"), env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)  # fmt: skip
    deadline = time.time() + 120
    while not all((cut / f"members/{i}/last.pt").exists() for i in (0, 1)) and time.time() < deadline:
        time.sleep(0.05)  # both members past their first epoch
    os.killpg(process.pid, signal.SIGINT)
    out, err = process.communicate(timeout=120)
    assert process.returncode != 0 and f"--resume {cut}" in out + err
    assert not (cut / "best.pt").exists()
    resumed = subprocess.run(
        _nnzero("--resume", str(cut), "--quiet"), env=env, capture_output=True, text=True, timeout=300
    )
    assert resumed.returncode == 0, resumed.stderr
    a, b = _weights(tmp_path / "straight" / "best.pt"), _weights(cut / "best.pt")
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_the_command_line_trains_lists_and_refuses_clearly(capsys, tmp_path):
    assert main(["train", "mnist", "--members", "2", "--dry-run", "--json", "--quiet"]) == 0
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert out["dry_run"] and len(out["members"]) == 2 and out["tta"] == "none"
    assert main(["models", "committee", "committee-max", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["models"]
    assert [r["name"] for r in rows] == ["committee", "committee-max"]
    assert all(r["tta"] == "none" for r in rows)
    ## the ten minutes' committee: 10 fastcnn; the hour's: stronger deepcnn members, not more of the same
    assert [set(r["members"]) for r in rows] == [{"fastcnn"}, {"deepcnn"}]
    assert (len(rows[0]["members"]), len(rows[1]["members"])) == (10, 8)
    assert main(["train", "mnist", "--members", "0", "--dry-run"]) != 0
    assert "model.members must be >= 1" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["train", "mnist", "--tta", "mirror"])  # a mirrored digit is another digit: not offered
    assert "invalid choice" in capsys.readouterr().err


def test_evaluate_and_predict_take_another_tta(committee_run, capsys):
    assert main(["evaluate", str(committee_run.checkpoint), "--tta", "none", "--json", "--dry-run"]) == 0
    assert json.loads(capsys.readouterr().out)["images"] == 500  # one batch
    metrics = load_checkpoint(committee_run.checkpoint)["metrics"]
    assert main(["evaluate", str(committee_run.checkpoint), "--tta", "none", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["test_accuracy"] == pytest.approx(
        metrics["test_accuracy_no_tta"], abs=1e-9
    )
    for tta in ("none", "shifts"):
        assert main(["predict", str(committee_run.checkpoint), str(MNIST_7), "--tta", tta, "--json"]) == 0
        assert json.loads(capsys.readouterr().out)["top"][0]["label"] == "7"


@pytest.mark.slow  # trains one more member
def test_a_committee_grows_by_members_and_keeps_the_ones_it_has(committee_run, tmp_path):
    import shutil

    grown = tmp_path / "grown"
    shutil.copytree(committee_run.dir, grown)
    run = nnzero.train("mnist", resume=grown, members=4, workers=1, **QUIET)
    weights = _weights(run.checkpoint)
    kept = _weights(committee_run.checkpoint)
    assert sorted({k.split(".")[1] for k in weights}) == ["0", "1", "2", "3"]
    assert all(torch.equal(weights[k], kept[k]) for k in kept)  # the first three members, untouched
    assert json.loads((grown / "members/3/member.json").read_text())["seed"] == 3000
    with pytest.raises(nnzero_error()):
        nnzero.train("mnist", resume=grown, epochs=2, **QUIET)  # only --members may change


def nnzero_error():
    from nnzero.errors import NnzeroError

    return NnzeroError
