"""Committees on MNIST: whole commands timed from the shell, then every committee scored on validation
and test, by its size and test-time shifts (Deotte's way: many committees, their mean, min and sd).

    flock /tmp/nnzero-cpu.lock python benchmarks/committee.py run --name committee --seed 0 -- --model committee
    flock /tmp/nnzero-cpu.lock python benchmarks/committee.py run --name committee --seed 0 --members 40 --stop-after 840
        # grow that committee to 40 members: Ctrl-C after 14 minutes; the same line resumes it
    flock /tmp/nnzero-cpu.lock python benchmarks/committee.py analyse --save-as committee
    python benchmarks/committee.py combine --name mixed --sources committee deskew   # kinds in turn

``run`` runs `nnzero train mnist ARGS --seed S` as a user would (a new process, its run folder in
benchmarks/work/committees/NAME-sS); with ``--stop-after`` it sends Ctrl-C after that many seconds,
and the same line later resumes the committee with ``--resume``: the pieces' wall times add up
(pieces.json), so a long committee can be measured in pieces of a few minutes under the CPU lock.

``analyse`` reads every finished member of every committee folder, computes its log-probabilities on
the validation and test images and on their 1- and 2-pixel shifts (cached beside the member), and
scores committees of the first N members of each folder:
  - the test-time shifts (which shifts, the weight on the unshifted image) are chosen on the
    validation images alone (the lowest validation log-loss over all folders), never on the test set;
  - each folder is one seed (its own validation split and member seeds): a row gives the mean, min
    and sd over the seeds of test accuracy and log-loss;
  - time: the whole commands' wall time where a folder was trained as that size, else the members'
    seconds (each measured in its worker) divided by the workers, plus the measured overhead.
Writes benchmarks/results/<save-as>.json and, with ``--errors NAME``, docs/images/NAME-errors.png (the
test images every member of NAME's largest committees gets wrong).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _common import REPO, machine, nnzero, print_table, save

WORK = REPO / "benchmarks" / "work" / "committees"
## the views every member is scored on: the image, its 1-pixel shifts (4 along the axes, 4 diagonal),
## and its 2-pixel shifts along the axes
VIEWS = [
    (0, 0),
    (-1, 0),
    (1, 0),
    (0, -1),
    (0, 1),
    (-1, -1),
    (-1, 1),
    (1, -1),
    (1, 1),
    (-2, 0),
    (2, 0),
    (0, -2),
    (0, 2),
]
## the test-time augmentations compared on validation: (name, which views, weight on the image itself)
TTA = [("none", [0], 1.0)] + [
    (f"{name} w0={w0}", views, w0)
    for name, views in (("shift1x4", [0, 1, 2, 3, 4]), ("shift1x8", list(range(9))), ("shift1x4+2x4", [0, 1, 2, 3, 4, 9, 10, 11, 12]))
    for w0 in (0.2, 0.35, 0.5, 0.65)
]  # fmt: skip


def run(args) -> None:
    """One whole command (or one piece of it), timed; the folder's pieces.json keeps every piece."""
    folder = WORK / f"{args.name}-s{args.seed}"
    pieces_file = folder / "pieces.json"
    pieces = json.loads(pieces_file.read_text()) if pieces_file.exists() else []
    if pieces and pieces[-1].get("finished") and pieces[-1].get("members") == args.members:
        print(f"{folder.name}: already finished")
        return
    if pieces:  # the next piece: --resume, growing the committee to --members if given
        cmd = nnzero("train", "mnist", "--resume", str(folder), "--quiet", "--json")
        cmd += ["--members", str(args.members)] if args.members else []
    else:
        cmd = nnzero("train", "mnist", *args.train, "--seed", str(args.seed), "--quiet", "--json")
        cmd += ["--runs-dir", str(WORK), "--name", folder.name]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=args.stop_after)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C, as a user's terminal sends it to the whole group
        out, _ = proc.communicate()
    wall = time.perf_counter() - start
    result = json.loads(out.strip().splitlines()[-1]) if proc.returncode == 0 else None
    members = json.loads((folder / "config.json").read_text())["model"]["members"]
    pieces.append(
        {
            "wall_seconds": round(wall, 2),
            "returncode": proc.returncode,
            "finished": result is not None,
            "members": members,
        }
    )
    folder.mkdir(parents=True, exist_ok=True)
    pieces_file.write_text(json.dumps(pieces, indent=1))
    total = sum(p["wall_seconds"] for p in pieces)
    shown = f"test {result['test_accuracy']:.4f}" if result else "interrupted"
    print(f"{folder.name}: piece {len(pieces)} {wall:.1f} s (total {total:.1f} s), {shown}")


def member_views(member: Path, split: str, views: list[int]):
    """The member's log-probabilities (V, N, C) on these views of the split's images; each view is
    computed once and cached beside the member (views-<split>.pt, float16)."""
    import torch

    cache, best = member / f"views-{split}.pt", member / "best.pt"
    kept = (
        torch.load(cache, weights_only=True)
        if cache.exists() and cache.stat().st_mtime >= best.stat().st_mtime
        else {}
    )
    missing = [v for v in views if str(v) not in kept]
    if missing:
        from nnzero.config import from_dict
        from nnzero.training.checkpoint import load_checkpoint, model_from_checkpoint
        from nnzero.training.committee import view_log_probs
        from nnzero.training.data import prepare_data
        from nnzero.training.loop import TensorData

        ckpt = load_checkpoint(best)
        cfg = from_dict(ckpt["config"])
        data = TensorData.from_imageset(
            getattr(prepare_data(cfg["data"], cfg["train"].seed), split), torch.device("cpu")
        )
        found = view_log_probs([model_from_checkpoint(ckpt)], data, [VIEWS[v] for v in missing])[
            0
        ]  # (V', N, C)
        kept |= {str(v): lp.half() for v, lp in zip(missing, found)} | {"labels": data.labels}
        torch.save(kept, cache)
    return torch.stack([kept[str(v)] for v in views]), kept["labels"]


class Folder:
    """One committee folder's finished members, their times, and their outputs as they are asked for."""

    def __init__(self, path: Path):
        self.path = path
        self.members = sorted((path / "members").glob("*/member.json"), key=lambda p: int(p.parent.name))
        self.seconds = [json.loads(m.read_text())["seconds"] for m in self.members]
        pieces = path / "pieces.json"
        self.pieces = json.loads(pieces.read_text()) if pieces.exists() else []
        self._outputs: dict = {}

    def outputs(self, split: str, views: list[int], n: int):
        """(M=n, V, N, C) log-probabilities of the first n members, and the labels (N,)."""
        import torch

        key = (split, tuple(views))
        if key not in self._outputs:
            found = [member_views(m.parent, split, views) for m in self.members]
            self._outputs[key] = (torch.stack([f[0] for f in found]), found[0][1])
        out, labels = self._outputs[key]
        return out[:n], labels


def score(folder: Folder, split: str, n: int, tta, rule: str = "mean") -> tuple[float, float]:
    """Accuracy and log-loss of the committee of the folder's first n members with test-time shifts ``tta``.

    ``rule``: "mean" (nnzero's: the mean probability), "geometric" (the mean log-probability, renormalised)
    or "vote" (each member's answer counts once; ties go to the mean probability; log-loss: the mean's)."""
    import torch

    from nnzero.models.committee import log_mean_prob

    _, chosen, w0 = tta
    views, labels = folder.outputs(split, chosen, n)  # (n, V, N, C)
    rest = (1 - w0) / max(1, len(chosen) - 1)
    weights = torch.tensor([w0] + [rest] * (len(chosen) - 1))
    members = torch.stack([log_mean_prob(v.float(), weights) for v in views])  # (n, N, C)
    committee = log_mean_prob(members)  # (N, C)
    if rule == "geometric":
        committee = torch.log_softmax(members.mean(0), 1)
    answer = committee.argmax(1)
    if rule == "vote":
        counts = torch.nn.functional.one_hot(members.argmax(2), members.shape[2]).sum(0).float()  # (N, C)
        answer = (counts + committee.exp() * 1e-3).argmax(1)  # most votes; the mean breaks ties
    accuracy = float((answer == labels).float().mean())
    return accuracy, float(torch.nn.functional.nll_loss(committee, labels))


def combine(args) -> None:
    """Committees of members taken in turn from other committees of the same seeds: NAME-sS/members/k
    links to the members of each source folder in turn (member 0 of the first, member 0 of the second,
    member 1 of the first, ...), so its first n members mix the kinds evenly. Nothing is trained: the
    members' own folders (and their cached outputs) are used, with their own training seconds."""
    for seed in args.seeds:
        sources = [WORK / f"{name}-s{seed}" for name in args.sources]
        members = [
            sorted((f / "members").glob("*/member.json"), key=lambda p: int(p.parent.name)) for f in sources
        ]
        folder = WORK / f"{args.name}-s{seed}" / "members"
        folder.mkdir(parents=True, exist_ok=True)
        for k, member in enumerate(m.parent for group in zip(*members) for m in group):
            link = folder / str(k)
            if not link.exists():
                link.symlink_to(member.resolve(), target_is_directory=True)
        print(f"{folder.parent.name}: {k + 1} members from {', '.join(f.name for f in sources)}")


def groups() -> dict[str, list[Folder]]:
    """Every committee folder with finished members, by its name without the seed."""
    found: dict[str, list[Folder]] = {}
    for path in sorted(WORK.glob("*-s*")):
        folder = Folder(path)
        if folder.members:
            found.setdefault(path.name.rsplit("-s", 1)[0], []).append(folder)
    return found


def analyse(args) -> None:
    rows, choices = [], {}
    for name, group in groups().items():
        if args.only and name not in args.only:
            continue
        sizes = sorted(n for n in args.sizes if all(n <= len(f.members) for f in group))
        if not sizes:
            continue
        largest = max(sizes)
        ## the test-time shifts chosen on validation alone: the lowest validation log-loss of the largest
        ## committees, over every seed; the test images play no part in it
        val_loss = {t[0]: statistics.mean(score(f, "val", largest, t)[1] for f in group) for t in TTA}
        best = min(TTA, key=lambda t: val_loss[t[0]])
        choices[name] = {"chosen": best[0], "val_loss_by_tta": val_loss, "members": largest}
        print(f"{name}: validation chose {best[0]} ({len(group)} seeds, {largest} members)", flush=True)
        for n in sizes:
            wanted = dict.fromkeys(["none", best[0], args.registered])
            for tta in [t for t in TTA if t[0] in wanted]:
                rows.append(_row(name, group, n, tta))
        if name == args.errors:
            draw_errors(name, group, largest)
    print_table(rows, ["committee", "members", "tta", "seeds", "val acc", "test acc mean", "min", "sd",
                       "test logloss", "member s", "wall s"])  # fmt: skip
    path = save(args.save_as, {"machine": machine(), "views": VIEWS, "tta_choices": choices, "rows": rows})
    print(f"wrote {path}")


def _row(name, group, n, tta) -> dict:
    val = [score(f, "val", n, tta) for f in group]
    test = [score(f, "test", n, tta) for f in group]
    accs = [a for a, _ in test]
    walls = [w for w in (wall_for(f.pieces, n) for f in group) if w is not None]
    return {
        "committee": name,
        "members": n,
        "tta": tta[0],
        "seeds": len(group),
        "val acc": statistics.mean(a for a, _ in val),
        "test acc mean": statistics.mean(accs),
        "min": min(accs),
        "sd": statistics.stdev(accs) if len(accs) > 1 else 0.0,
        "test logloss": statistics.mean(loss for _, loss in test),
        ## the other ways to combine, for comparison (nnzero averages the probabilities)
        "val acc vote": statistics.mean(score(f, "val", n, tta, "vote")[0] for f in group),
        "val acc geometric": statistics.mean(score(f, "val", n, tta, "geometric")[0] for f in group),
        "test acc vote": statistics.mean(score(f, "test", n, tta, "vote")[0] for f in group),
        "test acc geometric": statistics.mean(score(f, "test", n, tta, "geometric")[0] for f in group),
        "member s": statistics.mean(sum(f.seconds[:n]) for f in group),
        "wall s": statistics.median(walls) if walls else None,
        "test accuracies": accs,
        "test loglosses": [loss for _, loss in test],
        "walls": walls,
    }


def wall_for(pieces: list[dict], n: int) -> float | None:
    """The whole command's wall time to a committee of ``n``: every piece until one finished with ``n`` members."""
    total = 0.0
    for piece in pieces:
        total += piece["wall_seconds"]
        if piece["finished"] and piece.get("members") == n:
            return round(total, 2)
    return None


def draw_errors(name: str, group: list[Folder], n: int) -> None:
    """docs/images/NAME-errors.png: the test images that every one of the first n members gets wrong."""
    import numpy as np

    from nnzero.config import DataConfig
    from nnzero.datasets import load_dataset
    from nnzero.evaluation.plots import plot_gallery

    test = load_dataset(DataConfig(), "test")
    counts: dict[int, int] = {}
    for f in group:
        views, labels = f.outputs("test", [0], n)  # (n, 1, N, C): every member on the plain image
        wrong = (views[:, 0].float().argmax(2) != labels).all(0)  # (N,)
        for i in np.flatnonzero(wrong.numpy()).tolist():
            counts[i] = counts.get(i, 0) + 1
    shown = sorted(counts, key=lambda i: (-counts[i], i))[:48]
    captions = [f"#{i} {test.labels[i]} ({counts[i]}/{len(group)})" for i in shown]
    out = REPO / "docs" / "images" / f"{name}-errors.png"
    out.parent.mkdir(parents=True, exist_ok=True)
    title = (
        f"test digits every one of {n} members gets wrong (#index, true label, in how many of {len(group)} committees)"
        f" / {n} 个成员全都认错的测试数字 (#序号, 真实标签, {len(group)} 个委员会中有几个)"
    )
    plot_gallery(np.stack([test.images[i] for i in shown]), captions, out, title, cols=12)
    print(f"wrote {out}: {len(counts)} images wrong for every member in at least one committee, "
          f"{sum(c == len(group) for c in counts.values())} in all {len(group)}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="what", required=True)
    p = sub.add_parser("run", help="one whole committee command (or a piece of it)")
    p.add_argument("--name", required=True)
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--stop-after", type=float, help="Ctrl-C after this many seconds (resume later)")
    p.add_argument("--members", type=int, help="on resuming: grow the committee to this many members")
    p.add_argument("train", nargs=argparse.REMAINDER, help="-- then `nnzero train mnist` arguments")
    p.set_defaults(go=run)
    c = sub.add_parser(
        "combine", help="a committee of members taken in turn from committees of the same seeds"
    )
    c.add_argument("--name", required=True)
    c.add_argument("--sources", nargs="+", required=True, help="committee names (folders NAME-sS)")
    c.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    c.set_defaults(go=combine)
    a = sub.add_parser("analyse", help="score every committee folder; table and JSON")
    a.add_argument(
        "--sizes", type=int, nargs="+", default=[1, 2, 3, 4, 5, 6, 8, 10, 12, 16, 20, 24, 30, 40, 50, 60]
    )
    a.add_argument("--save-as", default="committee")
    a.add_argument("--errors", help="draw the errors every member makes, for this committee name")
    a.add_argument("--only", nargs="+", help="only these committee names")
    a.add_argument("--registered", default="shift1x4 w0=0.5", help="also score the shifts nnzero registers")
    a.set_defaults(go=analyse)
    args = parser.parse_args()
    if getattr(args, "train", None) and args.train[0] == "--":
        args.train = args.train[1:]
    os.environ.setdefault("PYTHONPATH", str(REPO / "src"))
    sys.path.insert(0, str(REPO / "src"))
    args.go(args)


if __name__ == "__main__":
    main()
