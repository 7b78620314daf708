"""Where the time of one `nnzero train mnist ...` process goes, phase by phase (docs/mnist-speed.md).

    flock /tmp/nnzero-cpu.lock python benchmarks/mnist_profile.py train mnist --quiet --runs-dir /tmp/runs

Wraps the library's functions with timers, runs the command in this process, and prints
one JSON object: seconds per phase (imports, data, training, validation, checkpoints, the
final test, curves, the report and its parts) and the whole process until then. Phases
nest: the report's parts are inside "report.html (total)".
"""

import time

START = time.perf_counter()

import functools  # noqa: E402
import importlib  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402

TIMES: dict[str, float] = {}


def timed(module: str, attr: str, label: str) -> None:
    """Replace module.attr (or module.Class.method) by a wrapper that adds its wall time to TIMES[label]."""
    owner = importlib.import_module(module)
    *path, name = attr.split(".")
    for part in path:
        owner = getattr(owner, part)
    fn = getattr(owner, name)

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        t = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            TIMES[label] = TIMES.get(label, 0.0) + time.perf_counter() - t

    setattr(owner, name, wrapper)


def main() -> None:
    t = time.perf_counter()
    import torch  # noqa: F401

    TIMES["import torch"] = time.perf_counter() - t
    t = time.perf_counter()
    import nnzero.cli
    import nnzero.evaluation.report  # noqa: F401  (imported by `nnzero train` anyway)
    import nnzero.training.trainer  # noqa: F401

    TIMES["import nnzero"] = time.perf_counter() - t
    for module, attr, label in [
        ("nnzero.training.trainer", "prepare_data", "data: read IDX files, split"),
        ("nnzero.training.loop", "TensorData.from_imageset", "data: to tensors"),
        ("nnzero.training.trainer", "train_one_epoch", "training epochs"),
        ("nnzero.training.distributed", "evaluate", "validation each epoch"),
        ("nnzero.training.trainer", "Trainer.save", "checkpoints best.pt, last.pt"),
        ("nnzero.training.trainer", "Trainer._final_test", "final test of best.pt"),
        ("nnzero.callbacks", "RunLog.on_train_begin", "metrics.csv + tensorboard writer"),
        ("nnzero.callbacks", "Curves.on_train_end", "curves.png"),
        ("nnzero.evaluation.report", "write_report_safely", "report.html (total)"),
        ("nnzero.evaluation.report", "ensure_evaluation", "report: test again, confusion, mistakes"),
        ("nnzero.evaluation.report_sections", "feature_maps", "report: feature maps sheet"),
        ("nnzero.evaluation.report_sections", "summary", "report: model summary"),
    ]:
        timed(module, attr, label)
    t = time.perf_counter()
    nnzero.cli.main(sys.argv[1:])
    TIMES["command (after imports)"] = time.perf_counter() - t
    TIMES["process until now"] = time.perf_counter() - START
    print(json.dumps({k: round(v, 2) for k, v in TIMES.items()}, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
