"""The sound commands as a user types them: each with --dry-run (seconds), and the lesson."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from nnzero.cli import main

pytest.importorskip("soundfile", reason='pip install -e ".[sound]"')


def _json(capsys) -> dict:
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def test_train_fsdd_dry_run(small_fsdd, capsys):
    assert main(["train", "fsdd", "--data-dir", str(small_fsdd), "--dry-run", "--json"]) == 0
    result = _json(capsys)
    assert result["dry_run"] and result["run_dir"] is None and 0 <= result["test_accuracy"] <= 1


def test_train_fsdd_speaker_split_dry_run_says_which(small_fsdd, capsys):
    assert (
        main(["train", "fsdd", "--data-dir", str(small_fsdd), "--split", "speaker:nicolas", "--dry-run"]) == 0
    )
    out = capsys.readouterr()
    assert "speaker(s) nicolas, never heard in training" in out.err
    assert "split=speaker:nicolas" in out.out


def test_scratch_train_fsdd_dry_run(small_fsdd, capsys):
    args = [
        "scratch",
        "train",
        "fsdd",
        "--model",
        "lenet",
        "--data-dir",
        str(small_fsdd),
        "--dry-run",
        "--json",
    ]
    assert main(args) == 0
    assert _json(capsys)["model"] == "lenet"


def test_bad_split_and_missing_data_are_clean_errors(tmp_path, capsys):
    assert main(["train", "fsdd", "--data-dir", str(tmp_path), "--dry-run"]) == 2
    assert "nnzero data fetch fsdd --to" in capsys.readouterr().err
    assert main(["train", "sounds", "--dry-run"]) == 2
    assert "one folder of sound files per class" in capsys.readouterr().err


def test_help_names_the_sound_commands(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    out = capsys.readouterr().out
    assert "nnzero train fsdd --data-dir data/fsdd --split speaker:george" in out and "--clip-seconds" in out
    with pytest.raises(SystemExit):
        main(["--lang", "zh", "data", "fetch", "--help"])
    assert "nnzero data fetch fsdd --to data/fsdd" in capsys.readouterr().out


def test_the_sound_lesson(recording, tmp_path, capsys):
    assert main(["lesson", "sound", "--out", str(tmp_path), "--json"]) == 0
    numbers = _json(capsys)["numbers"]
    assert numbers["rate"] == 8000 and numbers["samples"] == 4800 and numbers["frames"] == 61
    assert numbers["fft_bins"] == 129 and numbers["mel_bands"] == 32 and numbers["picture"] == [32, 32]
    ## the synthetic voice buzzes at 120 Hz: its strongest frequency is one of its harmonics
    assert min(abs(numbers["peak_hz"] - 120 * k) for k in range(1, 30)) <= 31.25
    picture = np.asarray(Image.open(tmp_path / "lesson-sound.png").convert("L"))
    assert picture.shape[0] > 400 and picture.std() > 20  # a drawn figure, not a blank page
    assert (
        main(
            [
                "lesson",
                "sound",
                "--file",
                str(recording("7_jackson_32")),
                "--out",
                str(tmp_path),
                "--lang",
                "zh",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "7_jackson_32.wav" in out and "个采样" in out and "1 分帧" in out
    assert main(["lesson", "conv", "--file", "x.wav"]) == 2
    assert "--file is for the sound lesson only" in capsys.readouterr().err
