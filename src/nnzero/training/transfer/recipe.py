"""What ``nnzero train photos`` does by default with a folder: which backbones, and whether to fine-tune.

    may = may_fine_tune(train_cfg, n_photos, model)       # before the backbones run: prepare for it?
    train_cfg, choice = apply_choice(run, run_dir, train_cfg, model_name, head.val, split, may, say)
    choice.record()                                       # what config.json ("choice") and the report keep

Two rules, both fixed before they were checked on photos no choice had seen (docs/photos.md):

1. Backbones (``--model`` not given; ``training/settings.py`` ``photos_model``): EfficientNet-Lite0,
   Lite1 and Lite2 side by side (``efficientnet_lite012``) for a folder of at most TRIO_MAX_PHOTOS
   photos, whose features the time budget affords; Lite2 alone beyond.
2. Fine-tuning (``train.fine_tune`` unset; ``--fine-tune N`` or ``--fine-tune 0`` decide for
   themselves): on a single backbone, fine-tune the last 2 blocks for 8 epochs when the folder is
   small enough (``MAX_PHOTOS``) and the head, fitted first, still gets at least ``MIN_HEAD_ERROR``
   of its validation photos wrong; otherwise keep the head alone.

## Fine-tuning can only earn its minutes by fixing mistakes the frozen features leave. Where
## the head already gets nearly every validation photo right (cats and dogs: 2 mistakes in
## 258), the last blocks have little to learn and validation has nothing left to judge them
## by: its log-loss then rewards a network that grew sure of itself, and on the cats and dogs
## that network made more mistakes on unseen photos. Several backbones side by side gain more
## where they are affordable (flowers: 93.0% against 91.1% for Lite2 fine-tuned, every photo
## scored once by a model that never saw it): ``benchmarks/photos_backbones.py``, ``photos_select.py``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from nnzero.config import to_dict
from nnzero.i18n import tr
from nnzero.rundir import write_json
from nnzero.training.settings import DEFAULT_MODEL, TRIO_MAX_PHOTOS

FINE_TUNE_EPOCHS = 8  # with train.fine_tune_blocks=2 and lr 3e-4: chosen on the flowers' validation
## Beyond this many photos the cached activations (~125 KB a photo for lite2's last 2 blocks) and
## 8 epochs over them outgrow the budget (cats and dogs: 3,234 photos, ~1.5 min of epochs on 2 cores)
MAX_PHOTOS = 5000
MIN_HEAD_ERROR = 0.03  # the head's validation error rate from which fine-tuning is tried


@dataclass
class Choice:
    model: str
    model_why: tuple[str, str]  # (English, Chinese)
    fine_tune: int  # epochs (0: the head alone)
    why: tuple[str, str]
    measured: dict = field(default_factory=dict)  # what the rules looked at

    def record(self) -> dict:
        """What config.json ("choice") and the checkpoint's metrics keep of the choice."""
        return {
            "model": self.model,
            "model_why": self.model_why[0],
            "model_why_zh": self.model_why[1],
            "fine_tune": self.fine_tune,
            "why": self.why[0],
            "why_zh": self.why[1],
            "rules": f"three backbones up to {TRIO_MAX_PHOTOS} photos, else Lite2; fine-tune a single "
            f"backbone when photos <= {MAX_PHOTOS} and head validation error >= {MIN_HEAD_ERROR:.0%}",
            **self.measured,
        }

    def line(self) -> str:
        what = (
            tr("the head, then fine-tuning for {e} epochs", "先拟合分类层, 再微调 {e} 轮", e=self.fine_tune)
            if self.fine_tune
            else tr("the head alone", "只训练分类层")
        )
        return tr(
            "the default chose: {m} ({mw}); {what} ({why})",
            "默认选择: {m} ({mw_zh}); {what} ({why_zh})",
            m=self.model, mw=self.model_why[0], mw_zh=self.model_why[1], what=what,
            why=self.why[0], why_zh=self.why[1],
        )  # fmt: skip


def is_auto(train_cfg) -> bool:
    """Did the user leave the choice to the run (``train.fine_tune`` unset)?"""
    return train_cfg.fine_tune is None


def may_fine_tune(train_cfg, n_photos: int, model) -> bool:
    """Before the backbone runs: whether the default might fine-tune, so that the frozen blocks'
    activations are cached on the way to the features (they cost little more than the features)."""
    return is_auto(train_cfg) and n_photos <= MAX_PHOTOS and hasattr(model, "thaw_last")


def choose(model_name: str, head_val: dict, n_val: int, may: bool, n_photos: int) -> Choice:
    """Both rules of the module docstring, from the folder's size and what the head scored on validation."""
    error = 1 - head_val["accuracy"] if head_val else None
    measured = {"photos": n_photos, "val_photos": n_val, "head_val_error": error and round(error, 4)}
    model_why = _model_why(model_name, n_photos)
    if model_name == DEFAULT_MODEL["photos"]:
        return Choice(model_name, model_why, 0, _side_by_side(), measured)
    if n_photos > MAX_PHOTOS:
        return Choice(model_name, model_why, 0, _too_many(n_photos), measured)
    if not may:
        return Choice(model_name, model_why, 0, _not_fine_tunable(), measured)
    if error is None:
        return Choice(model_name, model_why, 0, _no_validation(), measured)
    if error < MIN_HEAD_ERROR:
        return Choice(model_name, model_why, 0, _head_is_enough(error, n_val), measured)
    return Choice(model_name, model_why, FINE_TUNE_EPOCHS, _room_left(error, n_val), measured)


def apply_choice(run, run_dir, train_cfg, model_name: str, head_val: dict, split: dict, may: bool, say):
    """The choice made, said, and kept in config.json ("choice", with its reasons) and ``run.config``:
    (train_cfg with ``fine_tune`` set, the ``Choice``)."""
    choice = choose(model_name, head_val, len(split["val"]), may, sum(map(len, split.values())))
    say(choice.line())
    train_cfg = dataclasses.replace(train_cfg, fine_tune=choice.fine_tune)
    run.config = {**run.config, "train": to_dict(train=train_cfg)["train"], "choice": choice.record()}
    if run_dir is not None:
        write_json(run_dir / "config.json", run.config)
    return train_cfg, choice


def _model_why(name: str, n: int) -> tuple[str, str]:
    if name == DEFAULT_MODEL["photos"]:
        return (
            f"{n:,} photos, at most {TRIO_MAX_PHOTOS:,}: three backbones' features fit the time budget",
            f"{n:,} 张照片, 不超过 {TRIO_MAX_PHOTOS:,}: 三个骨干网络的特征在时间预算之内",
        )
    if n > TRIO_MAX_PHOTOS:
        return (
            f"{n:,} photos, more than {TRIO_MAX_PHOTOS:,}: one backbone, three would not fit the time budget",
            f"{n:,} 张照片, 超过 {TRIO_MAX_PHOTOS:,}: 用一个骨干网络, 三个会超出时间预算",
        )
    return (f"{name}, as asked", f"{name}, 按指定")


def _side_by_side() -> tuple[str, str]:
    return (
        "fine-tuning is for a single backbone",
        "微调只用于单个骨干网络",
    )


def _too_many(n: int) -> tuple[str, str]:
    return (
        f"{n:,} photos: fine-tuning would not fit the time budget (at most {MAX_PHOTOS:,})",
        f"{n:,} 张照片: 微调超出时间预算 (最多 {MAX_PHOTOS:,} 张)",
    )


def _not_fine_tunable() -> tuple[str, str]:
    return ("only the efficientnet_lite backbones fine-tune", "只有 efficientnet_lite 骨干网络可以微调")


def _no_validation() -> tuple[str, str]:
    return ("no validation photos to judge fine-tuning by", "没有验证照片, 无法判断微调是否有益")


def _head_is_enough(error: float, n_val: int) -> tuple[str, str]:
    return (
        f"the head gets all but {error:.1%} of {n_val} validation photos right (under "
        f"{MIN_HEAD_ERROR:.0%}): too few mistakes left for fine-tuning to fix or for validation to judge",
        f"分类层在 {n_val} 张验证照片上只错 {error:.1%} (低于 {MIN_HEAD_ERROR:.0%}): "
        "留给微调改正、也留给验证集判断的错误太少",
    )


def _room_left(error: float, n_val: int) -> tuple[str, str]:
    return (
        f"the head gets {error:.1%} of {n_val} validation photos wrong (at least {MIN_HEAD_ERROR:.0%}) "
        "and the folder is small enough: the last blocks learn too, kept if validation improves",
        f"分类层在 {n_val} 张验证照片上错 {error:.1%} (不低于 {MIN_HEAD_ERROR:.0%}), 且照片不多: "
        "最后几个块也参与训练, 仅当验证集变好时保留",
    )
