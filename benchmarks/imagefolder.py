"""Images per second of exporting MNIST to PNG folders and loading them back, against the course.

    python benchmarks/imagefolder.py                  # about 3 minutes on 2 idle cores
    python benchmarks/imagefolder.py --skip-course    # nnzero only
    python benchmarks/imagefolder.py --only-ab        # only the alternating A/B below

nnzero: `nnzero data export` (70,000 PNGs), then load_imagefolder train + test the first
time (decodes every PNG, writes the cache) and the second time (memory-maps the cache;
also timed with every pixel read). The course: ../shared/baselines/course_imagefolder_mlp.py
with EPOCHS=1 (writes the PNGs, then one epoch reads and decodes every training PNG
through torchvision's ImageFolder while training its MLP), and the same ImageFolder
DataLoader loop with no model, to isolate reading. A/B rows: the 10,000 test images,
written and read the course's way and nnzero's way in turn, 3 rounds, median wall time,
so that other programs on the machine slow both alike. Prints a table and writes JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from nnzero.datasets.export import export_idx, export_split  # noqa: E402
from nnzero.datasets.imagefolder import read_imagefolder  # noqa: E402
from nnzero.datasets.mnist import load_arrays  # noqa: E402


def _shared() -> Path:
    for base in [REPO, *REPO.parents]:
        if (base.parent / "shared" / "baselines").is_dir():
            return base.parent / "shared"
    raise SystemExit("../shared/baselines not found beside the repo")


class Clock:
    """Wall and CPU seconds of a block; CPU time hardly changes when other programs share the cores."""

    def __enter__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall, self.cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu


def _row(what: str, images: int, wall: float, cpu: float | None = None, **extra) -> dict:
    return {"what": what, "images": images, "seconds": wall, "cpu_seconds": cpu, **extra}


def nnzero_rows(work: Path) -> list[dict]:
    tree = work / "nnzero_png"
    with Clock() as c:
        written = export_idx("mnist", tree)["written"]
    rows = [_row("nnzero: data export mnist (write PNGs)", written, c.wall, c.cpu)]
    for attempt in ("first load (decode + cache)", "second load (cache, memory-mapped)"):
        with Clock() as c:
            loads = [read_imagefolder(tree, split, quiet=True) for split in ("train", "test")]
        n = sum(len(x.data) for x in loads)
        rows.append(_row(f"nnzero: {attempt}", n, c.wall, c.cpu, cache_hit=all(x.cache.hit for x in loads)))
    with Clock() as c:
        loads = [read_imagefolder(tree, split, quiet=True) for split in ("train", "test")]
        total = sum(int(np.asarray(x.data.images).sum(dtype=np.int64)) for x in loads)  # touch every pixel
    rows.append(_row("nnzero: second load + read every pixel", n, c.wall, c.cpu, checksum=total))
    return rows


def ab_rows(work: Path, rounds: int = 3) -> list[dict]:
    """The 10,000 test images, nnzero and the course's way taking turns, so both see the same load."""
    import torch
    from PIL import Image
    from torch.utils.data import DataLoader
    from torchvision import datasets, transforms

    torch.set_num_threads(2)
    x, y = load_arrays("test")
    ours, theirs = work / "ab_nnzero", work / "ab_course"
    tf = transforms.Compose([transforms.Grayscale(1), transforms.ToTensor()])
    times: dict[str, list[float]] = {}

    def timed(name: str, fn) -> None:
        with Clock() as c:
            fn()
        times.setdefault(name, []).append(c.wall)

    def course_export() -> None:  # the course's loop, verbatim
        for i, (img, label) in enumerate(zip(x, y, strict=True)):
            d = theirs / "test" / str(label)
            d.mkdir(parents=True, exist_ok=True)
            Image.fromarray(img).save(d / f"{i:05d}.png")

    def course_read() -> None:
        for _ in DataLoader(
            datasets.ImageFolder(str(theirs / "test"), transform=tf), batch_size=64, shuffle=True
        ):
            pass

    for _ in range(rounds):
        shutil.rmtree(ours, ignore_errors=True)
        shutil.rmtree(theirs, ignore_errors=True)
        timed("course: write PNGs", course_export)
        timed("nnzero: write PNGs", lambda: export_split(ours, "mnist", "test", None, None))
        timed("course: ImageFolder DataLoader pass", course_read)
        timed("nnzero: first load (decode + cache)", lambda: read_imagefolder(ours, "test", quiet=True))
        timed("nnzero: second load (cache)", lambda: read_imagefolder(ours, "test", quiet=True))
    return [_row(f"A/B {name}", len(y), float(np.median(t))) for name, t in times.items()]


READ_LOOP = """
import sys, time, torch
from torch.utils.data import DataLoader
from torchvision import datasets, transforms
torch.set_num_threads(2)
tf = transforms.Compose([transforms.Grayscale(1), transforms.ToTensor()])
data = datasets.ImageFolder(sys.argv[1], transform=tf)
wall, cpu, n = time.perf_counter(), time.process_time(), 0
for x, y in DataLoader(data, batch_size=64, shuffle=True):
    n += len(y)
print(n, time.perf_counter() - wall, time.process_time() - cpu)
"""


def course_rows(work: Path, shared: Path) -> list[dict]:
    images = work / "course_png"
    env = {
        **os.environ,
        "EPOCHS": "1",
        "IMAGES_DIR": str(images),
        "MNIST_DIR": str(shared / "data" / "mnist"),
    }
    program = shared / "baselines" / "course_imagefolder_mlp.py"
    out = subprocess.run([sys.executable, str(program)], env=env, capture_output=True, text=True, check=True)
    report = json.loads(out.stdout.strip().splitlines()[-1])
    rows = [
        _row("course: write PNGs (Image.save loop)", 70000, report["export_seconds"]),
        _row("course: 1 epoch, ImageFolder + MLP (EPOCHS=1)", 60000, report["seconds_per_epoch"]),
    ]
    cmd = [sys.executable, "-c", READ_LOOP, str(images / "train")]
    n, wall, cpu = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.split()
    rows.append(_row("course: ImageFolder DataLoader pass, no model", int(n), float(wall), float(cpu)))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--skip-course", action="store_true")
    parser.add_argument("--only-ab", action="store_true", help="only the alternating A/B on the test images")
    parser.add_argument("--json", default="bench-results/imagefolder.json")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="nnzero-bench-"))
    try:
        rows = [] if args.only_ab else nnzero_rows(work)
        if not args.skip_course:
            rows += ab_rows(work)
            if not args.only_ab:
                rows += course_rows(work, _shared())
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"{'what':<50}{'images':>8}{'wall s':>8}{'images/s':>10}{'cpu s':>8}{'images/cpu-s':>14}")
    for r in rows:
        r["images_per_second"] = round(r["images"] / r["seconds"])
        cpu = r["cpu_seconds"]
        cpu_cols = f"{cpu:>8.2f}{r['images'] / cpu:>14,.0f}" if cpu else f"{'-':>8}{'-':>14}"
        print(f"{r['what']:<50}{r['images']:>8,}{r['seconds']:>8.2f}{r['images_per_second']:>10,}{cpu_cols}")
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps({"cpus": os.cpu_count(), "rows": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
