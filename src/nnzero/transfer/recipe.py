"""What ``nnzero train photos`` does by default with a folder: the head alone, or the head then fine-tuning.

    may = may_fine_tune(train_cfg, n_photos, model)     # before the backbone runs: prepare for it?
    choice = choose(train_cfg, head.val, n_val, may)    # after the head: fine-tune or not, and why
    choice.fine_tune, choice.record()                   # the epochs; what config.json and the report keep

The rule (``train.fine_tune`` left unset; ``--fine-tune N`` or ``--fine-tune 0`` decide for themselves):
fine-tune the last blocks when the folder is small enough for it to fit the time budget
(``MAX_PHOTOS``) and the head, fitted first, still gets at least ``MIN_HEAD_ERROR`` of its
validation photos wrong; otherwise keep the head alone.

## Fine-tuning can only earn its minutes by fixing mistakes the frozen features leave. Where
## the head already gets nearly every validation photo right (cats and dogs: 2 mistakes in
## 258), the last blocks have little to learn and validation has nothing left to judge them
## by: its log-loss then rewards a network that grew sure of itself, and on the cats and dogs
## that network made more mistakes on unseen photos (docs/photos.md). Where the head leaves
## one photo in ten wrong (flowers), fine-tuning fixed a fifth of them on photos nothing had
## chosen by. The rule was fixed before it was checked; the check, on photos no choice saw,
## across folders and subsets of them: ``benchmarks/photos_select.py``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from nnzero.config import to_dict
from nnzero.i18n import tr
from nnzero.rundir import write_json

FINE_TUNE_EPOCHS = 8  # with train.fine_tune_blocks=2 and lr 3e-4: chosen on the flowers' validation
## Beyond this many photos the cached activations (~125 KB a photo for lite2's last 2 blocks) and
## 8 epochs over them outgrow the budget (cats and dogs: 3,234 photos, ~1.5 min of epochs on 2 cores)
MAX_PHOTOS = 5000
MIN_HEAD_ERROR = 0.03  # the head's validation error rate from which fine-tuning is tried


@dataclass
class Choice:
    fine_tune: int  # epochs (0: the head alone)
    why: tuple[str, str]  # (English, Chinese)
    measured: dict = field(default_factory=dict)  # what the rule looked at

    def record(self) -> dict:
        """What config.json ("choice") and the checkpoint's metrics keep of the choice."""
        return {
            "fine_tune": self.fine_tune,
            "rule": f"fine-tune when photos <= {MAX_PHOTOS} and head validation error >= {MIN_HEAD_ERROR:.0%}",
            "why": self.why[0],
            "why_zh": self.why[1],
            **self.measured,
        }

    def line(self) -> str:
        what = (
            tr(
                "the default chose: the head, then fine-tuning for {e} epochs",
                "默认选择: 先拟合分类层, 再微调 {e} 轮",
                e=self.fine_tune,
            )
            if self.fine_tune
            else tr("the default chose: the head alone", "默认选择: 只训练分类层")
        )
        return what + tr(" ({why})", " ({why})", why=self.why[0])


def is_auto(train_cfg) -> bool:
    """Did the user leave the choice to the run (``train.fine_tune`` unset)?"""
    return train_cfg.fine_tune is None


def may_fine_tune(train_cfg, n_photos: int, model) -> bool:
    """Before the backbone runs: whether the default might fine-tune, so that the frozen blocks'
    activations are cached on the way to the features (they cost little more than the features)."""
    return is_auto(train_cfg) and n_photos <= MAX_PHOTOS and hasattr(model, "thaw_last")


def choose(train_cfg, head_val: dict, n_val: int, may: bool, n_photos: int) -> Choice:
    """The rule of the module docstring, from what the head scored on the validation photos."""
    error = 1 - head_val["accuracy"] if head_val else None
    measured = {"photos": n_photos, "val_photos": n_val, "head_val_error": error and round(error, 4)}
    if n_photos > MAX_PHOTOS:
        return Choice(0, _too_many(n_photos), measured)
    if not may:
        return Choice(0, _not_fine_tunable(), measured)
    if error is None:
        return Choice(0, _no_validation(), measured)
    if error < MIN_HEAD_ERROR:
        return Choice(0, _head_is_enough(error, n_val), measured)
    return Choice(FINE_TUNE_EPOCHS, _room_left(error, n_val), measured)


def _too_many(n: int) -> tuple[str, str]:
    return (
        f"{n:,} photos: fine-tuning would not fit the time budget (at most {MAX_PHOTOS:,})",
        f"{n:,} 张照片: 微调超出时间预算 (最多 {MAX_PHOTOS:,} 张)",
    )


def _not_fine_tunable() -> tuple[str, str]:
    return ("only the efficientnet_lite backbones fine-tune", "只有 efficientnet_lite 骨干网络可以微调")


def _no_validation() -> tuple[str, str]:
    return (
        "no validation photos to judge fine-tuning by",
        "没有验证照片, 无法判断微调是否有益",
    )


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


def apply_choice(run, run_dir, train_cfg, head_val: dict, split: dict, may: bool, say):
    """The choice made, said, and kept in config.json ("choice", with its reasons) and ``run.config``:
    (train_cfg with ``fine_tune`` set, the ``Choice``)."""
    choice = choose(train_cfg, head_val, len(split["val"]), may, sum(map(len, split.values())))
    say(choice.line())
    train_cfg = dataclasses.replace(train_cfg, fine_tune=choice.fine_tune)
    run.config = {**run.config, "train": to_dict(train=train_cfg)["train"], "choice": choice.record()}
    if run_dir is not None:
        write_json(run_dir / "config.json", run.config)
    return train_cfg, choice
