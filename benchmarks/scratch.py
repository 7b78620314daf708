"""The NumPy engine against PyTorch: the same networks, data, batches and optimizer, on the CPU.

    python benchmarks/scratch.py             # mlp and lenet, both engines (~5 minutes on 2 cores)
    python benchmarks/scratch.py --quick     # 1 epoch each: timings only
    python benchmarks/scratch.py --threads 4

Each run is its own process with the same thread count for NumPy's BLAS and for
PyTorch, so its peak memory (ru_maxrss) is its own. Both engines start from the same
weights (the scratch network's, exported), see the same shuffled batches, and use
Adam with the same cosine schedule: only the engine differs. Seconds per epoch count
training alone; the test pass is timed apart. Prints a table and writes
benchmarks/results/scratch.json. Targets on 2 cores: scratch mlp >= 98.0% with an
epoch no slower than PyTorch's; scratch lenet >= 99.0% with an epoch within 2x of
PyTorch's; LeNet training under 2 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

from _common import REPO, machine, print_table, save

sys.path.insert(0, str(REPO / "src"))  # this checkout's nnzero, not an installed one
TWINS = {"mlp": "mlp128", "lenet": "lenet5"}


def one(engine: str, model: str, epochs: int) -> dict:
    """Train one network with one engine (in this process); its timings, accuracy and peak memory."""
    import numpy as np

    from nnzero.datasets.mnist import load_arrays
    from nnzero.scratch import Adam, SoftmaxCrossEntropy
    from nnzero.scratch.trainer import evaluate, lr_at, normalise, train_epoch
    from nnzero.scratch.zoo import TRAIN_DEFAULTS, build

    cfg = {**TRAIN_DEFAULTS[model], "epochs": epochs}
    (xi, y), (ti, ty) = load_arrays("train"), load_arrays("test")
    x, xt = normalise(xi, 0.1307, 0.3081), normalise(ti, 0.1307, 0.3081)  # (N, 1, 28, 28) float32
    net, rng = build(model, seed=0), np.random.default_rng(0)
    steps = -(-len(x) // cfg["batch_size"])
    schedule = lambda s: lr_at(s, epochs * steps, cfg["lr"], cfg["schedule"])  # noqa: E731
    epoch_seconds, test_seconds = [], 0.0
    if engine == "scratch":
        loss_fn, opt = SoftmaxCrossEntropy(), Adam(net.parameters(), lr=cfg["lr"])
        for _ in range(epochs):
            t = time.perf_counter()
            train_epoch(net, loss_fn, opt, x, y, cfg["batch_size"], rng, schedule)
            epoch_seconds.append(time.perf_counter() - t)
        t = time.perf_counter()
        accuracy = evaluate(net, loss_fn, xt, ty)[1]
        test_seconds = time.perf_counter() - t
    else:
        accuracy, test_seconds = _torch_twin(net, model, x, y, xt, ty, cfg, rng, schedule, epoch_seconds)
    return {
        "engine": engine,
        "model": model,
        "batch_size": cfg["batch_size"],
        "epochs": epochs,
        "s_per_epoch": round(sum(epoch_seconds) / epochs, 3),
        "epoch_seconds": [round(s, 3) for s in epoch_seconds],
        "test_seconds": round(test_seconds, 3),
        "test_accuracy": round(accuracy, 4),
        "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def _torch_twin(net, model, x, y, xt, ty, cfg, rng, schedule, epoch_seconds):
    """The same training in PyTorch: the registered twin, starting from the scratch net's weights."""
    import torch
    import torch.nn.functional as F

    from nnzero.models.from_scratch import to_torch

    torch.set_num_threads(int(os.environ["BENCH_THREADS"]))
    name, tmodel = to_torch(net, TWINS[model])
    tmodel.train()
    opt = torch.optim.Adam(tmodel.parameters(), lr=cfg["lr"])
    tx, ty_train = torch.from_numpy(x), torch.from_numpy(y)
    step = 0
    for _ in range(cfg["epochs"]):
        order = torch.from_numpy(rng.permutation(len(x)))  # the same shuffles as the scratch run
        t = time.perf_counter()
        for start in range(0, len(x), cfg["batch_size"]):
            for group in opt.param_groups:
                group["lr"] = schedule(step)
            idx = order[start : start + cfg["batch_size"]]
            loss = F.cross_entropy(tmodel(tx[idx]), ty_train[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            step += 1
        epoch_seconds.append(time.perf_counter() - t)
    tmodel.eval()
    t = time.perf_counter()
    with torch.no_grad():
        pred = torch.cat(
            [tmodel(torch.from_numpy(xt[i : i + 1000])).argmax(1) for i in range(0, len(xt), 1000)]
        )
    return float((pred.numpy() == ty).mean()), time.perf_counter() - t


def run_child(engine: str, model: str, epochs: int, threads: int) -> dict:
    env = {
        **os.environ,
        "BENCH_THREADS": str(threads),
        "OMP_NUM_THREADS": str(threads),
        "OPENBLAS_NUM_THREADS": str(threads),
        "MKL_NUM_THREADS": str(threads),
        "PYTHONPATH": str(REPO / "src"),
    }
    cmd = [sys.executable, __file__, "--one", engine, model, "--epochs", str(epochs)]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=REPO, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 epoch per run: timings only")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--one", nargs=2, metavar=("ENGINE", "MODEL"), help=argparse.SUPPRESS)
    parser.add_argument("--epochs", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(*args.one, args.epochs)))
        return
    from nnzero.scratch.zoo import TRAIN_DEFAULTS

    rows, load_before = [], os.getloadavg()
    for model in ("mlp", "lenet"):
        epochs = 1 if args.quick else TRAIN_DEFAULTS[model]["epochs"]
        pair = {engine: run_child(engine, model, epochs, args.threads) for engine in ("scratch", "torch")}
        pair["scratch"]["time_ratio"] = round(
            pair["scratch"]["s_per_epoch"] / pair["torch"]["s_per_epoch"], 3
        )
        rows += [pair["scratch"], pair["torch"]]
        print(f"{model}: done", file=sys.stderr, flush=True)
    print_table(
        rows,
        ["engine", "model", "batch_size", "epochs", "s_per_epoch", "test_accuracy", "time_ratio", "peak_mb"],
    )
    targets = {
        "mlp accuracy >= 0.980": rows[0]["test_accuracy"] >= 0.98,
        "mlp epoch ratio <= 1.0": rows[0]["time_ratio"] <= 1.0,
        "lenet accuracy >= 0.990": rows[2]["test_accuracy"] >= 0.99,
        "lenet epoch ratio <= 2.0": rows[2]["time_ratio"] <= 2.0,
        "lenet peak memory < 2 GB": rows[2]["peak_mb"] < 2048,
    }
    for target, met in targets.items():
        print(f"{'met ' if met else 'MISSED'}  {target}")
    path = save(
        "scratch",
        {
            "machine": {**machine(), "threads": args.threads},
            ## The load of other processes on the machine, before and after (1, 5, 15 minutes).
            "load_average": {"before": load_before, "after": os.getloadavg()},
            "quick": args.quick,
            "rows": rows,
            "targets": targets,
        },
    )
    print(f"load average before {load_before}, after {os.getloadavg()}; wrote {path}")


if __name__ == "__main__":
    main()
