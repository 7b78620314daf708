"""Which clips are held out for testing: by take (FSDD's convention), by whole speaker, or a seeded share.

    held = held_out(files, labels, "speaker:george")
    held.train, held.test, held.seen      # boolean masks over the clips

## A model can score well on new recordings of voices it has heard by learning the voices rather than
## the words. FSDD's own convention (takes 0-4 of every speaker tested, 5-49 trained) measures that
## easier case; holding out a whole speaker measures the real one: a voice never heard before.

- ``takes``: clips whose name ends in ``_<take>`` with take < 5 are the test set (FSDD's convention);
- ``speaker`` or ``speaker:NAME[,NAME]``: the named speakers' clips are the test set (default: the first
  fifth of the speakers in alphabetical order, at least one); when takes are known too, the other
  speakers' takes 0-4 are kept out of training as well (``seen``: new takes of voices it has heard), so
  one run gives both figures;
- ``auto``: a ``test/`` folder if the tree has one, else takes for FSDD-style names (when some are
  takes 0-4), else a seeded 20% of each class (the same clips whatever the training seed).

A speaker is named by the file (``{label}_{speaker}_{take}.wav``, FSDD's pattern) or by the folder
between the class and the file (``<class>/<speaker>/clip.wav``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from nnzero.errors import DataError
from nnzero.i18n import tr

SPLITS = ("auto", "takes", "speaker")
TEST_TAKES = 5  # FSDD: takes 0-4 of every speaker are the test set
HELD_OUT_FRACTION = 0.2
HELD_OUT_SEED = 0
_FSDD_NAME = re.compile(r"^(?P<label>[^_/]+)_(?P<speaker>[^_/]+)_(?P<take>\d+)\.[A-Za-z0-9]+$")


@dataclass
class HeldOut:
    train: np.ndarray  # (n,) bool: clips to train on (validation is drawn from these)
    test: np.ndarray  # (n,) bool: the test set
    seen: np.ndarray  # (n,) bool: new takes of the training speakers (speaker split only, else none)
    description: str  # one line for the run's log


def parse_name(rel: str) -> dict | None:
    """{'label', 'speaker', 'take'} from an FSDD-style file name (``7_jackson_32.wav``), else None."""
    found = _FSDD_NAME.match(rel.rsplit("/", 1)[-1])
    return None if found is None else {**found.groupdict(), "take": int(found["take"])}


def speaker_of(rel: str) -> str | None:
    """The speaker an FSDD-style name or a ``<class>/<speaker>/<file>`` path names, else None."""
    parsed = parse_name(rel)
    if parsed:
        return parsed["speaker"]
    parts = rel.split("/")
    return parts[-2] if len(parts) >= 3 else None


def _takes_split(files: list[str]) -> np.ndarray:
    takes = [parse_name(f) for f in files]
    if not all(takes):
        missing = next(f for f, t in zip(files, takes) if not t)
        raise DataError(
            tr(
                "--split takes needs FSDD-style names {{label}}_{{speaker}}_{{take}}.wav; {f} is not one",
                "--split takes 需要 FSDD 式的文件名 {{标签}}_{{说话人}}_{{编号}}.wav; {f} 不是",
                f=missing,
            )
        )
    return np.array([t["take"] < TEST_TAKES for t in takes], bool)


def _speaker_split(files: list[str], which: str) -> tuple[np.ndarray, list[str]]:
    speakers = [speaker_of(f) for f in files]
    known = sorted({s for s in speakers if s})
    if len(known) < 2 or None in speakers:
        raise DataError(
            tr(
                "--split speaker needs every file to name its speaker ({{label}}_{{speaker}}_{{take}}.wav, or "
                "<class>/<speaker>/<file>) and at least two speakers; found {n}",
                "--split speaker 需要每个文件都写明说话人 ({{标签}}_{{说话人}}_{{编号}}.wav, 或 "
                "<类别>/<说话人>/<文件>), 且至少两个说话人; 找到 {n} 个",
                n=len(known),
            )
        )
    named = (
        [s for s in which.split(",") if s]
        if which
        else known[: max(1, round(len(known) * HELD_OUT_FRACTION))]
    )
    unknown = sorted(set(named) - set(known))
    if unknown or len(named) >= len(known):
        raise DataError(
            tr(
                "--split speaker:NAME must name some (not all) of the speakers {known}; got {named}",
                "--split speaker:NAME 必须是说话人 {known} 中的一部分 (不能是全部); 而不是 {named}",
                known=", ".join(known),
                named=", ".join(named),
            )
        )
    return np.array([s in named for s in speakers], bool), named


def _share(labels: np.ndarray) -> np.ndarray:
    rng = np.random.default_rng(HELD_OUT_SEED)
    mask = np.zeros(len(labels), bool)  # (n,)
    for c in np.unique(labels):
        members = np.flatnonzero(labels == c)
        mask[rng.permutation(members)[: int(round(len(members) * HELD_OUT_FRACTION))]] = True
    return mask


def held_out(files: list[str], labels, how: str = "auto", from_folder: np.ndarray | None = None) -> HeldOut:
    """The train/test (and seen) masks over ``files`` for the split ``how`` (see the module docstring)."""
    kind, _, which = (how or "auto").partition(":")
    if kind not in SPLITS:
        raise DataError(
            tr(
                "--split must be auto, takes, speaker or speaker:NAME, got {h!r}",
                "--split 必须是 auto、takes、speaker 或 speaker:NAME, 而不是 {h!r}",
                h=how,
            )
        )
    none = np.zeros(len(files), bool)
    fsdd_names = all(parse_name(f) for f in files)
    if kind == "auto" and from_folder is not None and from_folder.any():
        return HeldOut(~from_folder, from_folder, none, tr("test: the test/ folder", "测试集: test/ 文件夹"))
    ## auto takes FSDD's convention only where takes 0-4 are there to test on (else the seeded share)
    if kind == "takes" or (kind == "auto" and fsdd_names and _takes_split(files).any()):
        test = _takes_split(files)
        line = tr(
            "test: takes 0-4 of every speaker (FSDD's convention)",
            "测试集: 每位说话人的第 0-4 次录音 (FSDD 惯例)",
        )
        return HeldOut(~test, test, none, line)
    if kind == "speaker":
        test, named = _speaker_split(files, which)
        seen = ~test & _takes_split(files) if fsdd_names else none
        line = tr(
            "test: every clip of speaker(s) {s}, never heard in training{seen}",
            "测试集: 说话人 {s} 的全部录音, 训练时从未听过{seen}",
            s=", ".join(named),
            seen=tr("; also the other speakers' takes 0-4", "; 另有其他说话人的第 0-4 次录音")
            if seen.any()
            else "",
        )
        return HeldOut(~test & ~seen, test, seen, line)
    test = _share(np.asarray(labels))
    return HeldOut(~test, test, none, tr("test: a seeded 20% of each class", "测试集: 每类中固定随机的 20%"))
