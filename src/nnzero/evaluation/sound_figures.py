"""What a sound model's test says beyond one accuracy: whole clips, each speaker, voices heard and not.

    figures = sound_figures(ckpt, test_set, probs)   # {"clip_accuracy", "speakers", "unseen_speaker_accuracy", ...}

- A long clip was cut into windows; its answer is the average of its windows' probabilities, so the
  accuracy that counts is per clip (``clip_accuracy``), not per window.
- With FSDD-style names the test clips are also scored speaker by speaker (``speakers``).
- ``--split speaker``: the test set is a voice never heard (``unseen_speaker_accuracy``); the run also
  kept the other speakers' takes 0-4 out of training, and scores them (``seen_speakers_accuracy``):
  the same two figures the FSDD convention and the fair test give, from one run.
"""

from __future__ import annotations

import numpy as np

from nnzero.datasets.sound_split import speaker_of
from nnzero.i18n import tr


def clip_probabilities(probs: np.ndarray, files: list[str]) -> tuple[list[str], np.ndarray]:
    """(each clip once, in order of first appearance; its windows' probabilities averaged (clips, classes))."""
    order: dict[str, list[int]] = {}
    for i, f in enumerate(files[: len(probs)]):
        order.setdefault(f, []).append(i)
    return list(order), np.stack([probs[rows].mean(axis=0) for rows in order.values()])


def _clip_accuracy(probs: np.ndarray, data) -> tuple[float, list[str], np.ndarray, np.ndarray]:
    clips, clip_probs = clip_probabilities(probs, data.files)
    first = {f: i for i, f in reversed(list(enumerate(data.files)))}
    labels = np.array([data.labels[first[f]] for f in clips])  # (clips,)
    right = clip_probs.argmax(1) == labels  # (clips,)
    return float(right.mean()), clips, labels, right


def sound_figures(ckpt: dict, data, probs: np.ndarray, seen_probs=None) -> dict:
    """The figures above for ``data`` (a sound test set) and ``probs`` (windows, classes); ``seen_probs``:
    a callable giving (seen set, its probabilities) for a speaker split, or None."""
    accuracy, clips, _, right = _clip_accuracy(probs, data)
    out = {"clips": len(clips), "windows": int(len(probs)), "clip_accuracy": round(accuracy, 6)}
    speakers: dict[str, list[bool]] = {}
    for f, ok in zip(clips, right):
        name = speaker_of(f.replace("\\", "/"))
        if name:
            speakers.setdefault(name, []).append(bool(ok))
    if speakers:
        out["speakers"] = {s: round(float(np.mean(v)), 6) for s, v in sorted(speakers.items())}
    split = str(((ckpt.get("config") or {}).get("data") or {}).get("split", "auto"))
    if split.startswith("speaker"):
        out["unseen_speaker_accuracy"] = out["clip_accuracy"]
        if seen_probs is not None:
            found = seen_probs()
            if found is not None:
                out["seen_speakers_accuracy"] = round(_clip_accuracy(found[1], found[0])[0], 6)
    elif ckpt.get("dataset") == "fsdd":
        out["fsdd_convention_accuracy"] = out["clip_accuracy"]
    return out


def figure_lines(figures: dict, lang: str | None = None) -> list[str]:
    """The figures as lines for a person: in the current language, or ``lang`` ("en", "zh" or "both")."""
    from nnzero.i18n import lang as current

    lang = lang or current()
    pairs = []
    if figures.get("windows", 0) > figures.get("clips", 0):
        pairs.append((
            "{c} test clips cut into {w} windows; each clip's answer averages its windows' probabilities: "
            "clip accuracy {a:.4f}",
            "{c} 个测试片段被切成 {w} 个窗口; 每个片段的答案是其窗口概率的平均: 片段准确率 {a:.4f}",
            {"c": figures["clips"], "w": figures["windows"], "a": figures["clip_accuracy"]},
        ))  # fmt: skip
    for key, en, zh in (
        ("fsdd_convention_accuracy", "FSDD convention (takes 0-4 of speakers heard in training): {a:.4f}",
         "FSDD 惯例 (训练中听过的说话人的第 0-4 次录音): {a:.4f}"),
        ("unseen_speaker_accuracy", "unseen speaker(s): {a:.4f}", "从未听过的说话人: {a:.4f}"),
        ("seen_speakers_accuracy", "speakers heard in training, their takes 0-4: {a:.4f}",
         "训练中听过的说话人, 其第 0-4 次录音: {a:.4f}"),
    ):  # fmt: skip
        if key in figures:
            pairs.append((en, zh, {"a": figures[key]}))
    if figures.get("speakers"):
        shown = ", ".join(f"{s} {a:.3f}" for s, a in figures["speakers"].items())
        pairs.append(("by speaker: {s}", "按说话人: {s}", {"s": shown}))
    out = []
    for en, zh, fields in pairs:
        en, zh = en.format(**fields), zh.format(**fields)
        out.append({"en": en, "zh": zh}.get(lang, f"{en} · {zh}"))
    return out


class SoundFigures:
    """The callback that ends a sound run by evaluating best.pt into eval/ (which the report then reuses)
    and adding the figures above to the run's metrics (what --json prints)."""

    def __init__(self, say=print):
        self.say = say

    def on_train_end(self, run) -> None:
        from pathlib import Path

        from nnzero.errors import NnzeroError
        from nnzero.evaluation.evaluate import evaluate_checkpoint

        dataset = ((run.config or {}).get("data") or {}).get("dataset")
        best = Path(run.dir) / "best.pt" if run.dir is not None else None
        if dataset not in ("fsdd", "sounds") or run.dry_run or best is None or not best.exists():
            return
        try:
            result = evaluate_checkpoint(best, out_dir=Path(run.dir) / "eval", logits=run.test_logits)
        except (NnzeroError, FileNotFoundError) as e:
            self.say(tr("note: no sound figures ({e})", "注意: 没有声音指标 ({e})", e=e))
            return
        figures = result.get("sound") or {}
        run.metrics |= {k: v for k, v in figures.items() if k not in ("clips", "windows")}
        for line in figure_lines(figures):
            self.say(line)
