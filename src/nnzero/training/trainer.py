"""``Trainer``: one training run's state, from data to ``best.pt``, with resume.

The trainer writes config.json, last.pt (everything needed to continue) and best.pt (the weights
with the best validation accuracy, or those ``train.keep`` names, with their test metrics);
everything else a run folder holds (metrics.csv, tensorboard/, curves.png, report.html) and early
stopping are callbacks.
"""

from __future__ import annotations

import dataclasses
import functools
import time
from pathlib import Path

import torch

from nnzero.callbacks import CallbackList, default_callbacks, epoch_row, read_rows
from nnzero.callbacks.steps import as_rows, log_every, read_steps
from nnzero.config import DataConfig, ModelConfig, TrainConfig, model_options, to_dict
from nnzero.errors import NnzeroError
from nnzero.i18n import tr
from nnzero.models import create_model
from nnzero.run import Run
from nnzero.rundir import write_json
from nnzero.training import distributed
from nnzero.training.augment import augment_digits, augment_photos, augment_sound
from nnzero.training.checkpoint import load_checkpoint, save_checkpoint
from nnzero.training.data import prepare_data
from nnzero.training.device import pick_device, resolve_precision
from nnzero.training.ema import ema_state, restore_ema, weight_average
from nnzero.training.known import known_pictures
from nnzero.training.loop import TensorData, evaluate, new_tally, plain_tally, train_one_epoch
from nnzero.unknown.features import collecting_features


def _optimizer(model: torch.nn.Module, cfg: TrainConfig) -> torch.optim.Optimizer:
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(
            model.parameters(),
            lr=cfg.lr,
            momentum=cfg.momentum,
            weight_decay=cfg.weight_decay,
            nesterov=cfg.momentum > 0,
            foreach=True,
        )
    adam = torch.optim.AdamW if cfg.optimizer == "adamw" else torch.optim.Adam
    ## fused: one kernel updates every weight (an MLP's epoch 18% faster on a 2-core CPU than
    ## foreach, measured); torch builds or devices without it fall back to foreach.
    options = {"lr": cfg.lr, "betas": (cfg.beta1, cfg.beta2), "weight_decay": cfg.weight_decay}
    try:
        return adam(model.parameters(), **options, fused=True)
    except (RuntimeError, TypeError):
        return adam(model.parameters(), **options, foreach=True)


class Trainer:
    """Holds one run's state so that Ctrl-C and resume can save and restore all of it."""

    def __init__(
        self,
        data_cfg: DataConfig,
        model_cfg: ModelConfig,
        train_cfg: TrainConfig,
        run_dir: Path | None,
        *,
        say=print,
        progress: bool = True,
        dry_run: bool = False,
        rank: int = 0,
        world: int = 1,
    ):
        self.data_cfg, self.train_cfg = data_cfg, train_cfg
        self.run_dir, self.say, self.progress, self.dry_run = run_dir, say, progress, dry_run
        self.resume_hint = (
            run_dir  # the folder Ctrl-C's message says to --resume (a committee's, for a member)
        )
        self.rank, self.world, self.is_main = rank, world, rank == 0
        self.device = distributed.local_device(pick_device(train_cfg.device))  # distributed: cuda:LOCAL_RANK
        self.train_cfg = train_cfg = self._resolve_precision(train_cfg)
        torch.manual_seed(train_cfg.seed)
        self.data = prepare_data(data_cfg, train_cfg.seed)
        train = self.data.train
        self.model_cfg = dataclasses.replace(
            model_cfg, num_classes=len(train.classes), in_channels=train.channels, image_size=train.image_size
        )
        self.model = create_model(
            self.model_cfg.name,
            self.model_cfg.num_classes,
            self.model_cfg.in_channels,
            self.model_cfg.image_size,
            **model_options(self.model_cfg),  # pretrained weights, frozen backbone: training only
        ).to(self.device)
        if self.device.type == "cpu":
            self.model = self.model.to(memory_format=torch.channels_last)
        self.net = distributed.wrap(self.model, self.device)  # what is called in training: DDP under torchrun
        self.optimizer = _optimizer(self.model, train_cfg)
        ## train.ema: the averaged weights are the ones validated, kept in best.pt and tested
        self.average = weight_average(self.model, train_cfg.ema) if train_cfg.ema > 0 else None
        self.tensors = {k: TensorData.from_imageset(v, self.device) for k, v in vars(self.data).items() if v}
        self.steps_per_epoch = -(
            -len(self.tensors["train"]) // world // max(1, train_cfg.batch_size // world)
        )
        ## the steps between the rows of steps.csv, chosen once and kept in config.json (a resumed
        ## run, even one given more epochs, logs at the same steps)
        every = log_every(self.steps_per_epoch * train_cfg.epochs, train_cfg.log_every)
        self.train_cfg = train_cfg = dataclasses.replace(train_cfg, log_every=every)
        self.generator = torch.Generator(device=self.device)  # seeded per batch in train_one_epoch
        self.epoch, self.step, self.best = 0, 0, float("-inf")
        self.tally = new_tally()  # the current epoch's running sums, saved on Ctrl-C

    def _resolve_precision(self, cfg: TrainConfig) -> TrainConfig:
        """precision=auto becomes bf16 or fp32 for this device (and config.json says which)."""
        return dataclasses.replace(cfg, precision=resolve_precision(cfg.precision, self.device, self.say))

    def model_kwargs(self) -> dict:
        return {
            "num_classes": self.model_cfg.num_classes,
            "in_channels": self.model_cfg.in_channels,
            "image_size": self.model_cfg.image_size,
        }

    # -- bookkeeping -------------------------------------------------------------------------
    def config_dict(self) -> dict:
        return to_dict(data=self.data_cfg, model=self.model_cfg, train=self.train_cfg)

    def evaluated(self) -> torch.nn.Module:
        """The weights that validation judges and best.pt keeps: the average with train.ema, else the model."""
        return self.average.module if self.average is not None else self.net

    def save(
        self, name: str, metrics: dict | None = None, with_state: bool = False, model=None, extra=None
    ) -> Path | None:
        if not (self.run_dir and self.is_main):
            return None
        state = None
        if with_state:
            state = {
                "epoch": self.epoch,
                "step": self.step,
                "tally": plain_tally(self.tally),
                "best": self.best,
                "optimizer": self.optimizer.state_dict(),
            }
            if self.average is not None:
                state["ema"] = ema_state(self.average)
        return save_checkpoint(
            self.run_dir / name,
            self.model if model is None else model,
            model_name=self.model_cfg.name,
            model_kwargs=self.model_kwargs(),
            classes=self.data.train.classes,
            input_spec=self.data.train.input_spec(),
            metrics=metrics,
            config=self.config_dict(),
            dataset=self.data.train.name,
            train_state=state,
            extra=extra,
        )

    def restore(self, last_pt: Path) -> None:
        ckpt = distributed.on_main(load_checkpoint, last_pt)  # distributed: rank 0 reads, all receive
        state = ckpt.get("train_state")
        if state is None:
            raise NnzeroError(f"{last_pt}: holds no training state to resume from")
        self.model.load_state_dict(ckpt["state_dict"])
        self.optimizer.load_state_dict(state["optimizer"])
        if self.average is not None:
            if "ema" not in state:
                raise NnzeroError(
                    tr(
                        "{path}: was trained without train.ema, so it cannot be resumed with it",
                        "{path}: 训练时没有 train.ema, 不能带着它继续",
                        path=last_pt,
                    )
                )
            restore_ema(self.average, state["ema"])
        ## (early stopping counts its epochs from metrics.csv, so nothing else needs restoring)
        self.epoch, self.step, self.best = state["epoch"], state["step"], state["best"]
        self.tally = distributed.share_tally(dict(state["tally"]))

    def augment(self):
        if not self.data_cfg.augment:
            return None
        if self.data.train.kind == "sound":
            return augment_sound
        if self.data.train.channels == 3 and self.data.train.kind == "photos":
            crop = self.data_cfg.crop_size  # smaller crops than the test photos: see augment_photos
            return functools.partial(augment_photos, size=crop) if crop else augment_photos
        return augment_digits

    # -- the run -----------------------------------------------------------------------------
    def fit(self, callbacks: CallbackList | None = None, run: Run | None = None) -> Run:
        """Train for the configured epochs (from where a resumed run stopped); the finished ``Run``.

        Callbacks run on rank 0 only; a stop that one of them asks for reaches every rank. Without
        ``callbacks``: the engine's defaults (epoch line, metrics.csv, early stopping, curves).
        """
        cfg, start = self.train_cfg, time.perf_counter()
        if callbacks is None:
            callbacks = CallbackList(default_callbacks(cfg.patience, self.say))
        run = run or Run(self.run_dir)
        run.config = self.config_dict()
        if self.run_dir:
            run.history = read_rows(self.run_dir / "metrics.csv")  # a resumed run's earlier epochs
            ## and its step rows up to where last.pt stopped: the steps after it are done again
            run.steps = read_steps(self.run_dir / "steps.csv", up_to=self.step + self.tally["batch"])
        max_batches = 1 if self.dry_run else None
        if self.run_dir and self.is_main:
            self.run_dir.mkdir(parents=True, exist_ok=True)
            write_json(self.run_dir / "config.json", run.config)
            self._list_skipped()
        if self.is_main:
            callbacks.on_train_begin(run)
        try:
            ## a dry run: one epoch
            last_epoch = min(cfg.epochs, self.epoch + 1) if self.dry_run else cfg.epochs
            while self.epoch < last_epoch and not run.stop_training:
                self._train_epoch(callbacks, run, max_batches)
        except KeyboardInterrupt:
            if self.save("last.pt", with_state=True):
                self.say(
                    tr(
                        "interrupted: saved {path}; continue with --resume {run}",
                        "已中断: 已保存 {path}; 用 --resume {run} 继续",
                        path=self.run_dir / "last.pt",
                        run=self.resume_hint,
                    )
                )
            raise
        run.metrics, run.test_logits = self._final_test(max_batches)
        run.metrics["seconds"] = round(time.perf_counter() - start, 2)
        run.checkpoint = Path(run.metrics["checkpoint"]) if run.metrics.get("checkpoint") else None
        if self.is_main:
            callbacks.on_train_end(run)
        return run

    def _train_epoch(self, callbacks: CallbackList, run: Run, max_batches: int | None) -> None:
        cfg = self.train_cfg
        stats = train_one_epoch(
            self.net,
            self.tensors["train"],
            self.optimizer,
            epoch=self.epoch,
            step=self.step,
            total_steps=self.steps_per_epoch * cfg.epochs,
            cfg=cfg,
            augment=self.augment(),
            generator=self.generator,
            rank=self.rank,
            world=self.world,
            max_batches=max_batches,
            progress=self.progress and self.is_main,
            label=tr("epoch {e}/{n}", "第 {e}/{n} 轮", e=self.epoch + 1, n=cfg.epochs),
            tally=self.tally,
            average=self.average,
            every=cfg.log_every,
            on_step=self._step_logger(callbacks, run),
        )
        stats = distributed.reduce_epoch(stats, self.tally)  # distributed: sums over all ranks
        self.step, self.epoch, self.tally = stats["step"], self.epoch + 1, new_tally()
        row = self._epoch_row(stats, max_batches)
        run.history = [r for r in run.history if r["epoch"] != row["epoch"]] + [row]
        if self.is_main:
            callbacks.on_epoch_end(self.epoch, row)
        self._checkpoint(row)
        run.stop_training = bool(distributed.on_main(lambda: run.stop_training))

    def _step_logger(self, callbacks: CallbackList, run: Run):
        """``on_step`` for the loop: the sums since the last row, over all ranks, as a step row."""

        def record(row: dict) -> None:
            run.steps.append(row)
            if self.is_main:
                callbacks.on_step_log(row["step"], row)

        rows = as_rows(record, self.steps_per_epoch)
        return lambda step, loss_sum, correct, seen, lr: rows(
            step, *distributed.reduce_sums([loss_sum, correct, seen]), lr
        )

    def _list_skipped(self) -> None:
        """Files of the data folder that could not be decoded, one per line with why (skipped_files.txt)."""
        skipped = self.data.train.skipped
        if skipped:
            lines = "".join(f"{path}\t{why}\n" for path, why in skipped)
            (self.run_dir / "skipped_files.txt").write_text(lines, encoding="utf-8")

    def _epoch_row(self, stats: dict, max_batches: int | None) -> dict:
        """Validate; the epoch's metrics row (the columns of metrics.csv)."""
        val = (
            distributed.evaluate(  # distributed: each rank a slice, sums shared
                self.evaluated(), self.tensors["val"], self.train_cfg.eval_batch_size, max_batches
            )
            if "val" in self.tensors
            else None
        )
        return epoch_row(
            self.epoch,
            (stats["loss"], stats["accuracy"]),
            val and (val["loss"], val["accuracy"]),
            stats["lr"],
            stats["seconds"],
            stats["images"],
            stats["step"],
        )

    def _score(self, row: dict) -> float:
        """How best.pt judges an epoch (``train.keep``; higher is better): validation accuracy, minus its
        loss, or the epoch itself (the last wins); training accuracy where nothing is held out."""
        keep = self.train_cfg.keep
        if keep == "last":
            return float(self.epoch)
        if row["val_accuracy"] is None:
            return row["train_accuracy"]
        return -row["val_loss"] if keep == "loss" else row["val_accuracy"]

    def _checkpoint(self, row: dict) -> None:
        """best.pt when the epoch's score (``_score``) improved, then last.pt."""
        score = self._score(row)
        if score > self.best:
            self.best = score
            self.save(
                "best.pt",
                {
                    "epoch": self.epoch,
                    "val_accuracy": row["val_accuracy"],
                    "val_loss": row["val_loss"],
                    "train_accuracy": row["train_accuracy"],
                },
                model=self.evaluated(),
            )
        self.save("last.pt", with_state=True)

    def _final_test(self, max_batches: int | None) -> tuple[dict, torch.Tensor | None]:
        """Test the best weights (not the last ones) on the held-out test set: (metrics, their logits)."""
        if not self.is_main:  # distributed: rank 0 alone tests the best weights and reports
            return {"run_dir": None, "checkpoint": None}, None
        best_pt = self.run_dir / "best.pt" if self.run_dir else None
        metrics, logits = {}, None
        if best_pt and best_pt.exists():
            ckpt = load_checkpoint(best_pt)
            self.model.load_state_dict(ckpt["state_dict"])
            metrics = ckpt["metrics"]
        if "test" in self.tensors:
            with collecting_features(self.model) as seen:  # the unknown answer's test coverage reads them
                test = evaluate(self.model, self.tensors["test"], self.train_cfg.eval_batch_size, max_batches)
            metrics |= {"test_accuracy": test["accuracy"], "test_loss": test["loss"]}
            logits = None if test["logits"] is None else test["logits"].cpu()
            if best_pt and best_pt.exists():
                unknown = None
                ## a sound's answer averages its windows (and soundcnn's warps, where set): no bank says "unknown"
                if self.data.train.kind != "sound":
                    args = (self.model, self.tensors, self.train_cfg, seen, logits, max_batches)
                    unknown, record = known_pictures(*args)
                    metrics |= record
                self.save("best.pt", metrics, extra={"unknown": unknown} if unknown else None)
        where = {
            "run_dir": str(self.run_dir) if self.run_dir else None,
            "checkpoint": str(best_pt) if best_pt else None,
        }
        return where | metrics, logits
