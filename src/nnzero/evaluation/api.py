"""The library's front door for PyTorch runs: ``nnzero.train`` and ``nnzero.evaluate``.

    import nnzero
    run = nnzero.train("mnist", model="mlp128", epochs=5)    # the same run as `nnzero train mnist ...`
    run.test_accuracy, run.dir, run.history[-1]
    nnzero.evaluate(run.checkpoint)["per_class"]["7"]

They live in the evaluation layer because a training run ends by writing its report, which is
evaluation's work; training itself never imports evaluation (the report is a callback).
"""

from __future__ import annotations

from pathlib import Path

from nnzero.callbacks import default_callbacks as engine_callbacks
from nnzero.evaluation.report import Report
from nnzero.evaluation.sound_figures import SoundFigures
from nnzero.run import Run


def default_callbacks(patience: int = 0, say=print) -> list:
    """What every ``nnzero.train`` run gets before the user's own callbacks: the epoch line,
    metrics.csv and TensorBoard, early stopping (when ``patience``), curves.png, a sound run's figures
    (whole clips, speakers heard and not: evaluated into eval/) and report.html."""
    return [*engine_callbacks(patience, say), SoundFigures(say), Report(say)]


def train(
    dataset: str = "mnist",
    *,
    model: str | None = None,
    data_dir: str | Path | None = None,
    name: str | None = None,
    runs_dir: str | Path = "runs",
    callbacks=(),
    progress: bool = True,
    resume: str | Path | None = None,
    dry_run: bool = False,
    summary: bool = False,
    sets=(),
    say=print,
    workers: int | None = None,
    **settings,
) -> Run:
    """Train ``model`` (default: the data set's default model) and return the ``Run``.

    ``settings`` take the names of ``nnzero train``'s flags (``epochs``, ``lr``, ``batch_size``,
    ``seed``, ``image_size``, ``augment``, ...), resolved exactly as the command resolves them:
    the defaults, then the model's own, then these. ``resume`` continues a run folder (its
    config.json wins; ``epochs`` may extend it). ``callbacks`` are added after the defaults
    (see ``default_callbacks``); ``say`` prints the run's messages (``say=lambda m: None``: quiet).

    ``members=N`` (or a committee model) trains a committee (``nnzero.training.committee``): N networks from
    their own seeds, ``workers`` of them side by side (None: one per core); its callbacks see the
    committee begin and end, and each member logs its epochs in ``members/<i>/``.
    """
    from nnzero.training.committee import fit_committee, is_committee
    from nnzero.training.run import fit, resumed_configs
    from nnzero.training.settings import resolve_settings
    from nnzero.training.transfer import fit_on_features, uses_features

    if resume:
        data, net, train_cfg = resumed_configs(resume, settings.get("epochs"))
        if settings.get("members"):  # a committee grows (or shrinks) by members; the others are kept
            from nnzero.config import replace

            net = replace(net, "model", members=settings["members"])
    else:
        if data_dir is not None:
            settings["data_dir"] = str(data_dir)
        data, net, train_cfg = resolve_settings(dataset, model, sets=sets, **settings)
    if is_committee(net):
        if uses_features(data, net):
            from nnzero.errors import NnzeroError
            from nnzero.i18n import tr

            raise NnzeroError(
                tr(
                    "--members and --tta train networks from scratch; a frozen pretrained backbone "
                    "(train photos) fits one head on cached features instead",
                    "--members 和 --tta 用于从头训练的网络; 冻结的预训练骨干网络 (train photos) "
                    "只在缓存的特征上拟合一个分类层",
                )
            )
        return fit_committee(
            data, net, train_cfg, name=name, runs_dir=runs_dir, resume=resume,
            callbacks=[Report(say), *callbacks], progress=progress, dry_run=dry_run, say=say, workers=workers,
        )  # fmt: skip
    return fit(
        data,
        net,
        train_cfg,
        name=name,
        runs_dir=runs_dir,
        resume=resume,
        callbacks=[*default_callbacks(patience=train_cfg.patience, say=say), *callbacks],
        progress=progress,
        dry_run=dry_run,
        summary=summary,
        say=say,
        on_features=fit_on_features if uses_features(data, net) else None,
    )


def evaluate(
    checkpoint: str | Path,
    *,
    data_dir: str | Path | None = None,
    dataset: str | None = None,
    out_dir: str | Path | None = None,
    top_mistakes: int = 32,
    device: str = "auto",
    dry_run: bool = False,
    tta: str | None = None,
    unknown_dir: str | Path | None = None,
) -> dict:
    """Test accuracy, log-loss, per-class precision/recall, the confusion matrix and every mistake
    (most confident first) of a checkpoint on its test set; with ``out_dir``, also confusion.png,
    mistakes.png, mistakes.csv and metrics.json there. ``dry_run``: one batch only. ``tta``: "shifts"
    or "none" instead of the checkpoint's own test-time augmentation. A committee's result also
    holds ``committee``: each member's accuracy and how they voted. For a checkpoint that can answer
    "unknown", ``result["unknown"]`` holds its test coverage and accuracy-coverage curve, and with
    ``unknown_dir`` (pictures that are none of the classes) the share it rejects."""
    from nnzero.evaluation.evaluate import evaluate_checkpoint

    return evaluate_checkpoint(
        checkpoint,
        data_dir=None if data_dir is None else str(data_dir),
        dataset=dataset,
        out_dir=out_dir,
        max_batches=1 if dry_run else None,
        top_mistakes=top_mistakes,
        device=device,
        tta=tta,
        unknown_dir=unknown_dir,
    )
