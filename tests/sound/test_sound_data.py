"""Sound data sets on real recordings: FSDD's splits (takes, whole speakers), a folder of clips in every
format with broken files among them, long clips in windows, and the cache."""

from __future__ import annotations

import io

import numpy as np
import pytest

from nnzero.config import DataConfig
from nnzero.datasets import load_dataset
from nnzero.datasets.sound_split import held_out, parse_name, speaker_of
from nnzero.errors import DataError

sf = pytest.importorskip("soundfile", reason='pip install -e ".[sound]"')


def _names(data) -> list[dict]:
    return [parse_name(f.rsplit("/", 1)[-1]) for f in data.files]


def test_fsdd_convention_tests_takes_0_to_4(small_fsdd):
    cfg = DataConfig(dataset="fsdd", data_dir=str(small_fsdd))
    train, test = load_dataset(cfg, "train"), load_dataset(cfg, "test")
    assert (len(train), len(test)) == (450, 150)  # 3 speakers x 10 digits x (15 | 5) takes: one picture each
    assert all(n["take"] >= 5 for n in _names(train)) and all(n["take"] < 5 for n in _names(test))
    assert train.images.shape[1:] == (1, 32, 32) and train.kind == "sound"
    assert [int(n["label"]) for n in _names(test)] == test.labels.tolist()
    spec = train.input_spec()
    assert spec["kind"] == "sound" and spec["audio"]["rate"] == 8000 and spec["size"] == 32


def test_speaker_split_holds_out_whole_voices(small_fsdd):
    cfg = DataConfig(dataset="fsdd", data_dir=str(small_fsdd), split="speaker:jackson")
    train, test, seen = (load_dataset(cfg, s) for s in ("train", "test", "seen"))
    speakers = {
        name: {n["speaker"] for n in _names(d)}
        for name, d in (("train", train), ("test", test), ("seen", seen))
    }
    assert speakers == {"train": {"george", "nicolas"}, "test": {"jackson"}, "seen": {"george", "nicolas"}}
    assert (len(train), len(test), len(seen)) == (300, 200, 100)
    assert set(train.files).isdisjoint(seen.files)  # new takes of the voices it heard: kept out of training
    assert all(n["take"] < 5 for n in _names(seen))


def test_speaker_split_default_and_errors(small_fsdd):
    files = [f"{d}_{s}_{t}.wav" for d in range(2) for s in ("bob", "amy", "cy") for t in range(6)]
    held = held_out(files, [int(f[0]) for f in files], "speaker")
    assert {speaker_of(f) for f, t in zip(files, held.test) if t} == {
        "amy"
    }  # the first in alphabetical order
    with pytest.raises(DataError, match="amy, bob, cy"):
        held_out(files, [0] * len(files), "speaker:nobody")
    with pytest.raises(DataError, match="auto, takes, speaker"):
        held_out(files, [0] * len(files), "sideways")
    with pytest.raises(DataError, match="needs every file to name its speaker"):
        held_out(["dog/a.wav", "cat/b.wav"], [0, 1], "speaker")
    assert speaker_of("yes/anna/take1.flac") == "anna" and speaker_of("yes/take1.flac") is None


def _encode(samples, rate, fmt) -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, samples, rate, format=fmt)
    return buffer.getvalue()


@pytest.fixture
def sound_tree(fsdd_dir, tmp_path):
    """Three classes of real recordings in every format and rate, a 5-second clip, and broken files."""
    root = tmp_path / "my_sounds"
    formats = ["WAV", "FLAC", "OGG", "MP3"]
    for digit, name in ((0, "zero"), (1, "one"), (2, "two")):
        folder = root / name
        folder.mkdir(parents=True)
        for i, path in enumerate(sorted((fsdd_dir / "recordings").glob(f"{digit}_*_1[0-4].wav"))):
            samples, rate = sf.read(path, dtype="float32")
            fmt = formats[i % 4]
            if i % 3 == 0:  # some at 16 kHz
                from nnzero.datasets.audio import resample

                samples, rate = resample(samples, rate, 16000), 16000
            (folder / f"{path.stem}.{fmt.lower()}").write_bytes(_encode(samples, rate, fmt))
    long = np.concatenate(
        [sf.read(p, dtype="float32")[0] for p in sorted((fsdd_dir / "recordings").glob("1_lucas_2?.wav"))]
    )
    (root / "one" / "long.wav").write_bytes(_encode(long, 8000, "WAV"))  # about 4 s of "one one one ..."
    (root / "zero" / "empty.wav").write_bytes(b"")
    (root / "two" / "notes.mp3").write_text("not a sound")
    (root / "two" / "silent.wav").write_bytes(_encode(np.zeros(4000, np.float32), 8000, "WAV"))
    (root / "two" / "readme.txt").write_text("ignored: not a sound file name")
    return root


def test_a_folder_of_clips_in_every_format(sound_tree, capsys):
    cfg = DataConfig(dataset="sounds", data_dir=str(sound_tree))
    train = load_dataset(cfg, "train")
    err = capsys.readouterr().err
    assert "skipped 3 of" in err and "empty.wav" in err
    assert {f for f, _ in train.skipped} == {"zero/empty.wav", "two/notes.mp3", "two/silent.wav"}
    assert "silent" in dict(train.skipped)["two/silent.wav"]
    assert train.classes == ["one", "two", "zero"] and train.kind == "sound"
    test = load_dataset(cfg, "test")
    assert set(train.files).isdisjoint(test.files)
    clips = {f.rsplit("/", 1)[-1].rsplit(".", 1)[-1] for f in set(train.files) | set(test.files)}
    assert clips == {"wav", "flac", "ogg", "mp3"}
    spec = train.input_spec()["audio"]
    assert spec["rate"] == 16000 and spec["fit"] == "window" and 0.5 <= spec["seconds"] <= 1.5
    windows = [f for f in list(train.files) + list(test.files) if f.endswith("long.wav")]
    assert len(windows) >= 4  # about 4 s in windows of about 1 s, half overlapping


def test_windows_of_one_clip_stay_on_one_side_of_the_validation_split(sound_tree):
    from nnzero.training.data import split_validation

    data = load_dataset(DataConfig(dataset="sounds", data_dir=str(sound_tree), split="auto"), "train")
    data = data.subset(np.arange(len(data)))
    for seed in range(6):
        train, val = split_validation(data, 0.3, seed)
        assert set(train.files).isdisjoint(val.files)
        assert len(train) + len(val) == len(data)


def test_the_second_load_reads_the_cache(small_fsdd, monkeypatch):
    cfg = DataConfig(dataset="fsdd", data_dir=str(small_fsdd))
    first = load_dataset(cfg, "train")
    import nnzero.datasets.sound_clips as sound_clips

    monkeypatch.setattr(sound_clips, "sound_file_pictures", lambda *a, **k: pytest.fail("decoded again"))
    again = load_dataset(cfg, "train")
    assert np.array_equal(first.images, again.images) and first.files == again.files
    other = load_dataset(DataConfig(dataset="fsdd", data_dir=str(small_fsdd), split="speaker"), "test")
    assert {n["speaker"] for n in _names(other)} == {"george"}  # another split of the same cached pictures
