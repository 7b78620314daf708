"""Sound data sets: FSDD's spoken digits, or anyone's folders of clips, as log-mel pictures.

    load_sounds(DataConfig(dataset="sounds", data_dir="my_sounds/"), "train")  # ImageSet, kind "sound"

``fsdd``: FSDD's recordings (``datasets.fsdd``). ``sounds``: a tree of sound files, one folder per class
(``DIR/<class>/*.wav``, or ``DIR/train/<class>/`` and ``DIR/test/<class>/``), of WAV, FLAC, OGG or MP3
files of any sample rate and length. Each clip becomes one picture per window (``sound_pictures``), made
once and cached (``sound_clips``). Which clips are held out for testing: ``sound_split``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from nnzero.datasets.base import ImageSet
from nnzero.datasets.sound_clips import SoundLoad, list_sound_tree, picture_set, read_clips
from nnzero.errors import DataError
from nnzero.i18n import tr

## What a sound data set is made into by default: FSDD's 8 kHz words, or anyone's clips at 16 kHz
DEFAULTS = {
    ## every FSDD word (<= 1.31 s) whole, in time to scale: robust to the room noise around a recorded word
    "fsdd": {"rate": 8000, "size": 32, "seconds": 1.5, "fit": "window"},
    "sounds": {"rate": 16000, "size": 64, "seconds": None, "fit": "window"},
}


def sound_recipe(data, root: Path | None = None, prints=None) -> dict:
    """The picture recipe (``sound_spec``) a DataConfig asks for, the data set's defaults filling the rest."""
    from nnzero.datasets.sound_pictures import sound_spec

    base = DEFAULTS[data.dataset]
    seconds = data.clip_seconds or base["seconds"] or auto_seconds(root, prints)
    return sound_spec(
        rate=data.sample_rate or base["rate"],
        size=data.image_size or base["size"],
        seconds=seconds,
        fit=base["fit"],
        **{k: base[k] for k in ("trim_db", "columns") if k in base},  # else sound_spec's defaults
    )


def auto_seconds(root: Path, prints) -> float:
    """Seconds per picture for a folder of clips: most clips whole (the 95th percentile of their lengths),
    between 0.5 s (a word) and 3 s (a few bars of a song; longer clips are cut into windows)."""
    from nnzero.datasets.audio import durations
    from nnzero.datasets.cache import cached_meta

    seen = cached_meta(root, prints, {"durations": 1}, lambda: {"seconds": durations(root, prints)})[0]
    lengths = [s for s in seen["seconds"] if s > 0] or [1.0]
    return float(np.clip(np.ceil(np.percentile(lengths, 95) * 10) / 10, 0.5, 3.0))


def _listing(data) -> tuple[Path, list, np.ndarray, list[str], np.ndarray | None]:
    """(root, prints, labels, classes, from the test/ folder) of the clips of a sound data set."""
    if data.dataset == "fsdd":
        from nnzero.datasets.fsdd import CLASSES, list_recordings

        root, prints, labels = list_recordings(data.data_dir)
        return root, prints, labels, CLASSES, None
    if data.data_dir is None:
        raise DataError(
            tr(
                "sounds need --data-dir DIR: one folder of sound files per class (DIR/<class>/*.wav)",
                "声音数据需要 --data-dir DIR: 每个类别一个声音文件夹 (DIR/<类别>/*.wav)",
            )
        )
    root = Path(data.data_dir).expanduser()
    classes, files = list_sound_tree(root, "train")
    prints = [p for ps, _ in files.values() for p in ps]
    labels = np.concatenate([np.asarray(ls, np.int64) for _, ls in files.values()])
    from_folder = np.concatenate([np.full(len(ps), name == "test") for name, (ps, _) in files.items()])
    return root, prints, labels, classes, from_folder


def _say_windows(load: SoundLoad) -> None:
    """Long clips are cut into windows: say how many, and how they are judged."""
    clips = len(load.readable())
    if len(load.clip_of) > clips:
        print(
            tr(
                "{n:,} clips longer than {s:g} s were cut into windows, half overlapping ({w:,} pictures); "
                "each window is a training example, and a clip's answer averages its windows' probabilities",
                "{n:,} 个长于 {s:g} 秒的片段被切成一半重叠的窗口 (共 {w:,} 张图); 每个窗口是一个训练样本, "
                "片段的答案是其各窗口概率的平均",
                n=int((np.bincount(load.clip_of) > 1).sum()),
                s=load.spec["seconds"],
                w=len(load.clip_of),
            ),
            file=sys.stderr,
            flush=True,
        )


def load_sounds(data, split: str = "train", quiet: bool = False) -> ImageSet:
    """The 'train', 'test' or 'seen' clips of a sound data set (DataConfig ``fsdd`` or ``sounds``), as
    pictures (see ``sound_split`` for which clips are which)."""
    from nnzero.datasets.foldertree import MissingSplit
    from nnzero.datasets.sound_split import held_out

    root, prints, labels, classes, from_folder = _listing(data)
    load = read_clips(root, prints, labels, sound_recipe(data, root, prints), quiet=quiet)
    readable = np.zeros(len(load.files), bool)
    readable[load.readable()] = True
    held = held_out(load.files, load.labels, data.split, from_folder)
    clips = np.flatnonzero(getattr(held, split) & readable)
    if split == "train" and not quiet:
        print(held.description, file=sys.stderr, flush=True)
        _say_windows(load)
    if not len(clips):
        raise MissingSplit(
            tr("no {split} clips in {root}", "{root} 中没有 {split} 录音", split=split, root=root)
        )
    chosen = picture_set(load, clips, classes, data.dataset)
    if split == "train" and data.synthetic and data.dataset == "fsdd":
        chosen = _with_synthetic(chosen, data.synthetic, load.spec)
    return chosen


def _with_synthetic(real: ImageSet, voices: int, spec: dict) -> ImageSet:
    """The training clips and the digits said by ``voices`` espeak-ng voices (FSDD's classes are digits);
    without espeak-ng, the training clips alone, and a note saying how to get it."""
    from dataclasses import replace

    from nnzero.datasets.synthetic_voices import espeak, synthetic_digits

    if espeak() is None:
        print(
            tr(
                "note: espeak-ng is not installed, so no synthetic voices join the training clips "
                "(apt-get install espeak-ng; docs/sound.md measures what they add)",
                "注意: 没有安装 espeak-ng, 训练数据中不加入合成声音 (apt-get install espeak-ng; "
                "docs/sound.zh-CN.md 中有它们带来的提升)",
            ),
            file=sys.stderr,
            flush=True,
        )
        return real
    pictures, labels, names = synthetic_digits(voices, spec)
    print(
        tr(
            "training also on the digits said by {v} espeak-ng voices ({n:,} clips; never tested on)",
            "训练数据中还加入了 {v} 种 espeak-ng 声音说出的数字 (共 {n:,} 个片段; 从不用于测试)",
            v=voices,
            n=len(labels),
        ),
        file=sys.stderr,
        flush=True,
    )
    return replace(
        real,
        images=np.concatenate([real.images, pictures]),
        labels=np.concatenate([real.labels, labels]),
        files=[*real.files, *names],
    )
