"""``fit_committee``: a committee's whole run, as ``nnzero train --members N`` and ``nnzero.train`` start it.

Members are trained one after another (or side by side in worker processes), each an ordinary run in
``members/<i>/``; then the committee is put together into ``best.pt``. Ctrl-C keeps every finished
member and the unfinished ones' last.pt; ``--resume`` carries on from there.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from nnzero.callbacks import CallbackList
from nnzero.config import to_dict
from nnzero.errors import NnzeroError
from nnzero.i18n import tr
from nnzero.run import Run
from nnzero.rundir import read_json, write_json
from nnzero.training import distributed
from nnzero.training.committee.assemble import assemble
from nnzero.training.committee.member import train_member
from nnzero.training.committee.plan import Plan, member_seed
from nnzero.training.committee.record import write_members
from nnzero.training.run import run_folder
from nnzero.training.settings import describe


def fit_committee(
    data,
    model,
    train,
    *,
    name: str | None = None,
    runs_dir: str | Path = "runs",
    resume: str | Path | None = None,
    callbacks=(),
    progress: bool = True,
    dry_run: bool = False,
    say=print,
    workers: int | None = None,
) -> Run:
    """Train ``model.members`` networks of ``model`` (each from its own seed) and average them.

    ``workers``: processes that train members side by side (None: one per core, when there is more
    than one member to train). ``callbacks`` see ``on_train_begin`` and ``on_train_end`` of the
    committee; each member logs its own epochs in its folder.
    """
    if distributed.requested():
        raise NnzeroError(
            tr(
                "a committee is trained by one command (its members side by side with --workers), not under torchrun",
                "委员会由一条命令训练 (用 --workers 并行训练成员), 不能在 torchrun 下运行",
            )
        )
    tmp, run_dir = run_folder(data, model, name, runs_dir, resume, dry_run, distributed.place())
    try:
        plan = Plan(data, model, train, run_dir)
        run = _train_and_assemble(plan, CallbackList(callbacks), progress, dry_run, say, workers)
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
    return run.without_folder() if dry_run else run


def _train_and_assemble(plan: Plan, callbacks, progress, dry_run, say, workers) -> Run:
    start = time.perf_counter()
    run_dir = plan.run_dir
    run_dir.mkdir(parents=True, exist_ok=True)
    count = min(len(plan.names), 2) if dry_run else len(plan.names)  # a dry run: two members, one batch each
    say(describe(plan.data, plan.model, plan.train))
    say(_plan_line(plan, count))
    run = Run(run_dir, dry_run=dry_run)
    run.config = _config(plan)
    callbacks.on_train_begin(run)
    todo = [i for i in range(count) if dry_run or not plan.finished(i)]
    if len(todo) < count:
        say(
            tr(
                "{k} of {n} members already trained",
                "{n} 个成员中已有 {k} 个训练完成",
                k=count - len(todo),
                n=count,
            )
        )
    workers = _workers(workers, len(todo), dry_run)
    try:
        fresh = _train(plan, todo, workers, progress, dry_run, say)
    except KeyboardInterrupt:
        finished = sum(plan.finished(i) for i in range(count))
        say(
            tr(
                "interrupted: {k} of {n} members finished; continue the committee with --resume {run}",
                "已中断: {n} 个成员中 {k} 个已完成; 用 --resume {run} 继续训练委员会",
                k=finished,
                n=count,
                run=run_dir,
            )
        )
        raise
    by_index = {s["index"]: s for s in fresh}
    summaries = [by_index.get(i) or read_json(plan.member_dir(i) / "member.json") for i in range(count)]
    run.metrics, run.test_logits = assemble(plan, summaries, max_batches=1 if dry_run else None)
    run.metrics |= {
        "run_dir": str(run_dir),
        "checkpoint": str(run_dir / "best.pt"),
        "seconds": round(time.perf_counter() - start, 2),  # this call's; members.csv has each member's
    }
    run.checkpoint = run_dir / "best.pt"
    write_members(run_dir, summaries, run.metrics)
    say(_result_line(run.metrics))
    callbacks.on_train_end(run)
    return run


def _config(plan: Plan) -> dict:
    """config.json: written at the start; a resumed committee may change its number of members only."""
    config = to_dict(data=plan.data, model=plan.model, train=plan.train)
    path = plan.run_dir / "config.json"
    if path.exists():
        before = read_json(path)
        for section in config:
            changed = [k for k in config[section] if config[section][k] != before.get(section, {}).get(k)]
            changed = [k for k in changed if (section, k) != ("model", "members")]
            if changed:
                raise NnzeroError(
                    tr(
                        "{run} was trained with other settings ({k}); a committee resumes with its own, "
                        "and only --members may change",
                        "{run} 是用别的设置训练的 ({k}); 委员会只能用原来的设置继续, 只有 --members 可以改",
                        run=plan.run_dir,
                        k=", ".join(f"{section}.{k}" for k in changed),
                    )
                )
    write_json(path, config)
    return config


def _workers(workers: int | None, todo: int, dry_run: bool) -> int:
    from nnzero.training.committee.workers import _cores

    if dry_run or todo < 2:
        return 1
    return max(1, min(todo, workers if workers is not None else _cores()))


def _train(plan: Plan, todo: list[int], workers: int, progress: bool, dry_run: bool, say) -> list[dict]:
    if workers > 1:
        from nnzero.training.committee.workers import train_in_workers

        say(tr("{w} worker processes, one thread each", "{w} 个工作进程, 每个一个线程", w=workers))
        return train_in_workers(plan, todo, workers, say)
    from nnzero.training.device import use_all_cores

    use_all_cores()
    return [train_member(plan, i, say=say, progress=progress, dry_run=dry_run) for i in todo]


def _plan_line(plan: Plan, count: int) -> str:
    names = plan.names[:count]
    kinds = ", ".join(f"{names.count(n)} x {n}" for n in dict.fromkeys(names))
    seeds = [member_seed(plan.train.seed, i) for i in range(count)]
    shown = ", ".join(map(str, seeds[:4])) + (", ..." if len(seeds) > 4 else "")
    return tr(
        "committee: {n} members ({k}), seeds {s}; validation split seeded {v}; test-time augmentation: {t}",
        "委员会: {n} 个成员 ({k}), 随机种子 {s}; 验证集划分种子 {v}; 测试时增强: {t}",
        n=count,
        k=kinds,
        s=shown,
        v=plan.split_seed,
        t=plan.model.tta,
    )


def _result_line(metrics: dict) -> str:
    members = [m["test_accuracy"] for m in metrics["members"] if m.get("test_accuracy") is not None]
    spread = f"{min(members):.4f}-{max(members):.4f}" if members else "-"
    return tr(
        "committee: validation {v:.4f}, test {t:.4f} (log-loss {l:.4f}); its members alone: {m}",
        "委员会: 验证 {v:.4f}, 测试 {t:.4f} (对数损失 {l:.4f}); 成员单独: {m}",
        v=metrics.get("val_accuracy") or 0.0,
        t=metrics.get("test_accuracy") or 0.0,
        l=metrics.get("test_loss") or 0.0,
        m=spread,
    )
