"""One member of a committee: an ordinary single-network run in its own folder, by the usual Trainer.

A member that was interrupted continues from its last.pt (mid-epoch, exactly, as a single run does);
a member that finished wrote member.json and is never trained again.
"""

from __future__ import annotations

from nnzero.callbacks import CallbackList, EarlyStopping, EpochPrinter, RunLog, read_rows
from nnzero.i18n import tr
from nnzero.run import Run
from nnzero.rundir import read_json, write_json
from nnzero.training.committee.plan import Plan


def member_label(plan: Plan, index: int) -> str:
    return tr("member {i}/{n}", "成员 {i}/{n}", i=index + 1, n=len(plan.names))


def train_member(
    plan: Plan, index: int, *, say=print, progress: bool = True, dry_run: bool = False, callbacks=()
) -> dict:
    """Train member ``index`` (or continue it); its summary, also kept in member.json."""
    from nnzero.training.trainer import Trainer

    folder = plan.member_dir(index)
    if plan.finished(index) and not dry_run:
        return read_json(folder / "member.json")
    data, model, train = plan.member_configs(index)
    label = member_label(plan, index)

    def speak(message: str) -> None:
        say(f"[{label}] {message}")

    trainer = Trainer(data, model, train, folder, say=speak, progress=progress, dry_run=dry_run)
    trainer.resume_hint = plan.run_dir  # Ctrl-C: continue the whole committee, not this member alone
    if plan.started(index) and not dry_run:
        trainer.restore(folder / "last.pt")
    hooks = [EpochPrinter(speak), RunLog()]
    if train.patience:
        hooks.append(EarlyStopping(train.patience, say=speak))
    run = trainer.fit(CallbackList([*hooks, *callbacks]), Run(folder, dry_run=dry_run))
    metrics = run.metrics
    summary = {
        "index": index,
        "model": model.name,
        "seed": train.seed,
        "best_epoch": metrics.get("epoch"),
        "epochs": len(run.history),
        "val_accuracy": metrics.get("val_accuracy"),
        "val_loss": metrics.get("val_loss"),
        "test_accuracy": metrics.get("test_accuracy"),
        "test_loss": metrics.get("test_loss"),
        ## the epochs' own time, summed over every piece of an interrupted member, and this piece's wall time
        "train_seconds": round(sum(r.get("seconds") or 0.0 for r in read_rows(folder / "metrics.csv")), 2),
        "seconds": metrics.get("seconds"),
    }
    if not dry_run:
        write_json(folder / "member.json", summary)
    return summary
