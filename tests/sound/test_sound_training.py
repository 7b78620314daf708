"""Training on real recordings learns, and the trained model evaluates, predicts and exports like any other."""

from __future__ import annotations

import json

import numpy as np
import pytest

from nnzero.cli import main

pytestmark = pytest.mark.slow  # trains (about 15 s for the shared sound run, a few seconds each here)
sf = pytest.importorskip("soundfile")


def _json_lines(capsys) -> list[dict]:
    return [json.loads(line) for line in capsys.readouterr().out.strip().splitlines()]


def test_fsdd_learns_and_reports_both_ways(sound_run, capsys):
    """soundcnn, 8 epochs on FSDD's convention split: well past chance, figures by speaker, a report."""
    assert sound_run.test_accuracy >= 0.9, sound_run.test_accuracy
    metrics = sound_run.metrics
    assert metrics["fsdd_convention_accuracy"] == pytest.approx(sound_run.test_accuracy)
    assert set(metrics["speakers"]) == {"george", "jackson", "lucas", "nicolas", "yweweler"}
    assert "unknown" not in metrics  # no bank of known pictures: a clip's answer averages its windows
    for name in ("report.html", "curves.png", "metrics.csv", "eval/metrics.json", "eval/confusion.png"):
        assert (sound_run.dir / name).exists(), name
    assert "FSDD convention" in (sound_run.dir / "report.html").read_text(encoding="utf-8")
    assert main(["evaluate", str(sound_run.checkpoint), "--json", "--out", str(sound_run.dir / "eval2")]) == 0
    result = _json_lines(capsys)[-1]
    assert result["sound"]["clips"] == 250
    assert result["test_accuracy"] == pytest.approx(sound_run.test_accuracy)


def test_predict_own_recordings(sound_run, fsdd_data, tmp_path, capsys):
    from nnzero.datasets.audio import resample

    seven = fsdd_data / "recordings" / "7_george_2.wav"
    samples, rate = sf.read(seven, dtype="float32")
    flac = tmp_path / "seven.flac"
    sf.write(flac, np.stack([resample(samples, rate, 44100)] * 2, axis=1), 44100)  # a phone's stereo 44.1 kHz
    bad = tmp_path / "broken.wav"
    bad.write_bytes(seven.read_bytes()[:100])
    heard = tmp_path / "heard.png"
    files = [str(seven), str(flac), str(bad)]
    code = main(["predict", str(sound_run.checkpoint), *files, "--json", "--save-input", str(heard)])
    lines = _json_lines(capsys)
    assert code == 0 and [line["top"][0]["label"] for line in lines[:2]] == ["7", "7"]
    assert "truncated" in lines[2]["error"]
    from PIL import Image

    assert Image.open(heard).size == (32, 32)


def test_scratch_lenet_learns_fsdd(small_fsdd):
    import nnzero

    run = nnzero.scratch.fit("lenet", "fsdd", data_dir=str(small_fsdd), epochs=12, runs_dir=small_fsdd.parent / "runs",
                             progress=False, say=lambda m: None)  # fmt: skip
    assert run.test_accuracy >= 0.85, run.test_accuracy
    assert run.history[-1]["epoch"] == 12 and (run.dir / "model.npz").exists()


def test_train_sounds_on_a_folder_of_clips(fsdd_data, tmp_path):
    """Three classes of real clips, one folder each, as a student would arrange their own recordings."""
    import nnzero

    root = tmp_path / "sounds"
    for digit, name in ((1, "one"), (4, "four"), (8, "eight")):
        (root / name).mkdir(parents=True)
        for path in sorted((fsdd_data / "recordings").glob(f"{digit}_*_[1-3]?.wav")):
            (root / name / path.name).symlink_to(path)
    run = nnzero.train("sounds", data_dir=root, epochs=6, runs_dir=tmp_path / "runs", progress=False,
                       say=lambda m: None)  # fmt: skip
    assert run.test_accuracy >= 0.8, run.test_accuracy
    assert run.metrics["clip_accuracy"] == pytest.approx(run.test_accuracy)  # one window per clip here


def test_the_library_hears_arrays_too(sound_run, fsdd_data):
    """nnzero.load(...).predict takes a recording as a notebook holds it: (samples, rate)."""
    import nnzero

    predictor = nnzero.load(sound_run.checkpoint)
    assert predictor.spec["audio"]["columns"] == "pooled"  # the checkpoint says how its pictures were made
    samples, rate = sf.read(fsdd_data / "recordings" / "3_nicolas_4.wav", dtype="float32")
    from_array = predictor.predict((samples, rate), top=2)[0]
    from_file = predictor.predict(str(fsdd_data / "recordings" / "3_nicolas_4.wav"), top=2)[0]
    assert from_array == from_file and from_array[0]["label"] == "3"
