"""A committee's plan: which networks, from which seeds, in which folders, and which are done.

    runs/NAME/config.json          the committee's settings (model.members, model.tta, ...)
    runs/NAME/members/0/           member 0's own run folder: config.json, metrics.csv, best.pt, last.pt
    runs/NAME/members/0/member.json  written when member 0 has finished (its metrics and time)
    runs/NAME/best.pt              the committee: every member's weights in one checkpoint

Every member trains on the same images and holds out the same validation split (the committee's
seed), so the committee can be judged on validation images that none of its members learnt from.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from nnzero.config import DataConfig, ModelConfig, TrainConfig
from nnzero.models import model_entry
from nnzero.models.committee import member_names

## Member i trains from seed + 1000 i: member 0 is the very network `--seed s` trains alone, and
## five committees (seeds 0-4) of up to 1,000 members never share a member.
SEED_STRIDE = 1000


def member_seed(seed: int, index: int) -> int:
    return seed + SEED_STRIDE * index


def is_committee(model: ModelConfig) -> bool:
    """Whether a run of ``model`` trains members (several networks, or one with test-time shifts)."""
    return model.members > 1 or model.tta != "none" or bool(model_entry(model.name).committee_of)


@dataclass(frozen=True)
class Plan:
    data: DataConfig
    model: ModelConfig
    train: TrainConfig
    run_dir: Path

    @property
    def names(self) -> list[str]:
        """The model of each member, in order."""
        return member_names(self.model.name, self.model.members)

    @property
    def split_seed(self) -> int:
        return self.train.seed if self.data.split_seed is None else self.data.split_seed

    def member_dir(self, index: int) -> Path:
        return self.run_dir / "members" / str(index)

    def finished(self, index: int) -> bool:
        return (self.member_dir(index) / "member.json").exists()

    def started(self, index: int) -> bool:
        return (self.member_dir(index) / "last.pt").exists()

    def member_configs(self, index: int) -> tuple[DataConfig, ModelConfig, TrainConfig]:
        """Member ``index``'s settings: the committee's, its own model and seed, the committee's split."""
        data = dataclasses.replace(self.data, split_seed=self.split_seed)
        model = dataclasses.replace(self.model, name=self.names[index], members=1, tta="none")
        train = dataclasses.replace(self.train, seed=member_seed(self.train.seed, index))
        return data, model, train

    def checkpoint_name(self) -> str:
        """The registered name the committee's checkpoint is rebuilt from (its factory takes the members)."""
        return self.model.name if model_entry(self.model.name).committee_of else "committee"
