"""``fit``: a whole PyTorch training run, as the library and ``nnzero train`` both start it.

Picks the run folder (a temporary one for a dry run), resumes, joins a torchrun group when
launched by torchrun, builds the Trainer, runs the callbacks, and returns the ``Run``.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from nnzero.callbacks import CallbackList
from nnzero.config import DataConfig, ModelConfig, TrainConfig, from_dict, replace
from nnzero.errors import NnzeroError
from nnzero.i18n import tr
from nnzero.run import Run
from nnzero.rundir import new_run_dir, read_json
from nnzero.training import distributed
from nnzero.training.settings import describe


def resumed_configs(run_dir: str | Path, epochs: int | None = None) -> tuple:
    """The configs a run folder was started with (config.json); ``epochs`` may extend the schedule."""
    cfg = from_dict(distributed.on_main(read_json, Path(run_dir) / "config.json"))
    train = replace(cfg["train"], "train", epochs=epochs) if epochs else cfg["train"]
    return cfg["data"], cfg["model"], train


def fit(
    data: DataConfig,
    model: ModelConfig,
    train: TrainConfig,
    *,
    name: str | None = None,
    runs_dir: str | Path = "runs",
    resume: str | Path | None = None,
    callbacks=(),
    progress: bool = True,
    dry_run: bool = False,
    summary: bool = False,
    say=print,
    on_features=None,
) -> Run:
    """Train ``model`` on ``data`` with ``train``'s settings; under torchrun, data-parallel.

    ``callbacks`` is the whole list (the caller adds the defaults it wants); ``say`` prints the
    run's messages (rank 0 only). ``on_features``: the frozen-backbone pipeline
    (``nnzero.training.transfer.fit_on_features``) when the caller found it applies; it runs in one process
    instead of the epoch loop.
    """
    args = (
        data,
        model,
        train,
        name,
        runs_dir,
        resume,
        callbacks,
        progress,
        dry_run,
        summary,
        say,
        on_features,
    )
    if not distributed.requested():
        return _fit(*args)
    with distributed.session():  # under torchrun: join the group, leave it even on errors
        return _fit(*args)


def _fit(
    data, model, train, name, runs_dir, resume, callbacks, progress, dry_run, summary, say, on_features
) -> Run:
    from nnzero.training.device import use_all_cores

    where = distributed.place()  # rank 0 of 1 without torchrun
    if distributed.active():
        distributed.use_cores()  # cores / processes on this machine
    else:
        use_all_cores()

    def speak(message: str) -> None:  # only rank 0 prints
        if where.is_main:
            say(message)

    if where.world > 1:
        distributed.check_batch(train.batch_size, where.world)
    train = replace(train, "train", world_size=where.world)
    tmp, run_dir = run_folder(data, model, name, runs_dir, resume, dry_run, where)
    speak(describe(data, model, train))
    _say_distributed(speak, where, train)
    on_features = on_features if where.world == 1 else None
    if train.fine_tune and not on_features:
        raise NnzeroError(
            tr(
                "--fine-tune continues a frozen pretrained backbone's fitted head: photos or catsdogs with "
                "an efficientnet_lite model, backbone frozen (its default), one process",
                "--fine-tune 接着冻结的预训练骨干网络上拟合好的分类层训练: 需要 photos 或 catsdogs, "
                "efficientnet_lite 模型, 骨干冻结 (默认), 单进程",
            )
        )
    try:
        if on_features:  # a frozen backbone: cached features, a head in seconds
            run = on_features(
                data, model, train, run_dir, CallbackList(callbacks), Run(run_dir, dry_run=dry_run),
                say=speak, progress=progress, dry_run=dry_run,
            )  # fmt: skip
        else:
            run = _fit_trainer(
                data, model, train, run_dir, resume, callbacks, progress, dry_run, summary, speak
            )
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
    return run.without_folder() if dry_run else run


def run_folder(data, model, name, runs_dir, resume, dry_run, where) -> tuple[Path | None, Path | None]:
    """(a temporary folder to remove afterwards, the run folder): a dry run writes only into the first."""
    if dry_run:
        if not where.is_main:
            return None, None
        tmp = Path(tempfile.mkdtemp(prefix="nnzero-dry-run-"))
        (tmp / "run").mkdir()
        return tmp, tmp / "run"
    if resume:
        return None, Path(resume)
    ## Rank 0 picks (and creates) the run folder; the others learn its name from rank 0.
    return None, distributed.on_main(new_run_dir, runs_dir, name, data.dataset, model.name)


def _fit_trainer(data, model, train, run_dir, resume, callbacks, progress, dry_run, summary, speak) -> Run:
    """The epoch loop (``Trainer``): from scratch, fine-tuning, or under torchrun."""
    from nnzero.training.trainer import Trainer

    where = distributed.place()
    trainer = Trainer(
        data, model, train, run_dir, say=speak, progress=progress, dry_run=dry_run,
        rank=where.rank, world=where.world,
    )  # fmt: skip
    if resume:
        trainer.restore(Path(resume) / "last.pt")
        speak(tr("resuming {run} at epoch {e}", "从第 {e} 轮继续 {run}", run=resume, e=trainer.epoch + 1))
    speak(_data_line(trainer))
    if summary:
        from nnzero.models.summary import format_summary

        cfg = trainer.model_cfg
        speak(format_summary(trainer.model, (cfg.in_channels,) + (cfg.image_size,) * 2))
    return trainer.fit(CallbackList(callbacks), Run(run_dir, dry_run=dry_run, rank=where.rank))


def _say_distributed(speak, where, train) -> None:
    if distributed.active():
        speak(
            tr(
                "distributed: {n} processes ({b}); global batch {g} = {n} x {l} per process; lr {lr} (global)",
                "分布式: {n} 个进程 ({b}); 全局批大小 {g} = {n} x 每进程 {l}; 学习率 {lr} (全局)",
                n=where.world,
                b=where.backend,
                g=train.batch_size,
                l=train.batch_size // where.world,
                lr=train.lr,
            )
        )


def _data_line(trainer) -> str:
    return tr(
        "device: {d}; {n} training, {v} validation, {t} test images",
        "设备: {d}; 训练 {n} 张, 验证 {v} 张, 测试 {t} 张",
        d=trainer.device,
        n=len(trainer.data.train),
        v=len(trainer.data.val or []),
        t=len(trainer.data.test or []),
    )
