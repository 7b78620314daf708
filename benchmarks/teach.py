"""`nnzero teach` through its API, as the page drives it: upload, train, then the live preview.

    python benchmarks/teach.py                       # 3 flower classes x 30 photos, 3 repetitions (~4 minutes)
    python benchmarks/teach.py --repeats 1 --per-class 30 --classes daisy,roses,tulips

Each repetition starts `nnzero teach` on a new, empty project folder (so the feature cache is cold: it
lives in DIR/.nnzero-cache), picks 30 photos of each class with its seed and uploads them 16 to a
request, as the page sends a dropped folder; waits until the page would say "features ready"; presses
Train; then asks the trained model about 50 other photos of each class that it never saw (scored on
the original files) and plays the live preview: 100 camera frames (640x480 JPEGs made from those unseen
photos as a webcam would frame them), sent one after the other as the page sends them, each answered
before the next. Targets (2-core CPU): upload + train <= 90 s cold, the Train call <= 15 s, >= 90% on
the unseen photos; the preview >= 3 predictions/s with p95 <= 300 ms. Writes benchmarks/results/teach.json.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import subprocess
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np
from _common import REPO, SHARED, machine, nnzero, print_table, save
from PIL import Image
from serve import cpu_seconds, free_port, latencies

FLOWERS = SHARED / "data" / "flowers"
TOKEN = "benchmark"
BATCH = 16  # files a request, as the page uploads a dropped folder


def start(project: Path, port: int, backbone: str) -> tuple[subprocess.Popen, float]:
    started = time.perf_counter()
    env = {k: v for k, v in os.environ.items() if k != "NNZERO_CACHE_DIR"}  # the project's own, cold cache
    log = project.with_name("server.log")
    with log.open("w") as err:
        proc = subprocess.Popen(
            nnzero("teach", str(project), "--port", str(port), "--token", TOKEN, "--backbone", backbone),
            cwd=REPO, stdout=subprocess.DEVNULL, stderr=err, text=True, env=env,
        )  # fmt: skip
    while time.perf_counter() - started < 120:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc, time.perf_counter() - started
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("the server did not start within 120 s")


def pick(classes: list[str], per_class: int, unseen: int, seed: int) -> tuple[dict, dict]:
    """({class: photos to upload}, {class: other photos to test on}), drawn with ``seed``."""
    rng = np.random.default_rng(seed)
    upload, test = {}, {}
    for c in classes:
        photos = sorted((FLOWERS / c).glob("*.jpg"))
        order = rng.permutation(len(photos))
        upload[c] = [photos[i] for i in order[:per_class]]
        test[c] = [photos[i] for i in order[per_class : per_class + unseen]]
    return upload, test


def camera_frame(path: Path, size=(640, 480)) -> bytes:
    """A photo as a webcam frame: fitted into 640x480 on its own border colour, JPEG at the page's quality."""
    photo = Image.open(path).convert("RGB")
    photo.thumbnail(size)
    border = tuple(int(v) for v in np.median(np.asarray(photo)[[0, -1]].reshape(-1, 3), axis=0))
    frame = Image.new("RGB", size, border)
    frame.paste(photo, ((size[0] - photo.width) // 2, (size[1] - photo.height) // 2))
    buffer = io.BytesIO()
    frame.save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


def one_run(args, seed: int) -> dict:
    classes = args.classes.split(",")
    upload, test = pick(classes, args.per_class, args.unseen, seed)
    port = free_port()
    auth = {"Authorization": f"Bearer {TOKEN}"}
    with tempfile.TemporaryDirectory(prefix="nnzero-teach-bench-") as tmp:
        proc, boot = start(Path(tmp) / "flowers", port, args.backbone)
        url = f"http://127.0.0.1:{port}"
        try:
            with httpx.Client(base_url=url, timeout=300) as http:
                t0 = time.perf_counter()
                for c in classes:
                    for i in range(0, len(upload[c]), BATCH):
                        files = [
                            ("file", (p.name, p.read_bytes(), "image/jpeg")) for p in upload[c][i : i + BATCH]
                        ]
                        http.post(
                            "/api/teach/examples", params={"label": c}, files=files, headers=auth
                        ).raise_for_status()
                uploaded = time.perf_counter() - t0
                while http.get("/api/teach").json()["features"]["pending"]:
                    time.sleep(0.1)
                ready = time.perf_counter() - t0
                t1 = time.perf_counter()
                trained = http.post("/api/teach/train", headers=auth)
                trained.raise_for_status()
                result, train_call = trained.json(), time.perf_counter() - t1
                total = time.perf_counter() - t0
                accuracy = unseen_accuracy(http, result["model"], test)
                preview = live_preview(http, result["model"], test, args.frames)
                cpu = cpu_seconds(proc.pid)
        finally:
            proc.terminate()
            proc.wait(10)
    return {
        "seed": seed,
        "backbone": args.backbone,
        "server_start_s": round(boot, 2),
        "upload_s": round(uploaded, 2),
        "features_ready_s": round(ready, 2),
        "train_call_s": round(train_call, 2),
        "upload_to_trained_s": round(total, 2),
        "server_train_s": result["seconds"],
        "head_s": result["head_seconds"],
        "val_accuracy": result["val_accuracy"],
        "held_out_accuracy": result["test_accuracy"],
        "unseen_accuracy": accuracy,
        "unseen_photos": sum(len(v) for v in test.values()),
        **{f"preview_{k}": v for k, v in preview.items()},
        "server_cpu_s": cpu,
    }


def unseen_accuracy(http: httpx.Client, model: str, test: dict) -> float:
    right = total = 0
    for c, photos in test.items():
        for p in photos:
            answer = http.post(
                f"/api/predict/{model}",
                params={"top": 1},
                content=p.read_bytes(),
                headers={"Content-Type": "image/jpeg"},
            )
            answer.raise_for_status()
            right += answer.json()["top"][0]["label"] == c
            total += 1
    return round(right / total, 4)


def live_preview(http: httpx.Client, model: str, test: dict, frames: int) -> dict:
    """``frames`` 640x480 camera frames, each sent when the previous answer is back (the page's loop)."""
    photos = [p for ps in test.values() for p in ps]
    jpegs = [camera_frame(photos[i % len(photos)]) for i in range(frames)]
    times, errors = [], 0
    start = time.perf_counter()
    for data in jpegs:
        t = time.perf_counter()
        answer = http.post(
            f"/api/predict/{model}", params={"top": 3}, files={"image": ("frame.jpg", data, "image/jpeg")}
        )
        times.append(time.perf_counter() - t)
        errors += answer.status_code != 200
    stats = latencies([(times, errors)], frames, 1, time.perf_counter() - start)
    return {
        "per_s": stats["req_per_s"],
        "p50_ms": stats["p50_ms"],
        "p95_ms": stats["p95_ms"],
        "errors": errors,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--classes", default="daisy,dandelion,roses")
    parser.add_argument("--per-class", type=int, default=30)
    parser.add_argument("--unseen", type=int, default=50)
    parser.add_argument("--frames", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--backbone", default="efficientnet_lite0")
    parser.add_argument("--save-as", default="teach", help="benchmarks/results/<this>.json")
    args = parser.parse_args()
    if not re.fullmatch(r"[A-Za-z0-9_-]+", args.save_as):
        parser.error(f"--save-as takes a plain name (letters, digits, _ and -), got {args.save_as!r}")
    rows = [one_run(args, seed) for seed in range(args.first_seed, args.first_seed + args.repeats)]
    columns = ["seed", "upload_s", "features_ready_s", "train_call_s", "upload_to_trained_s", "val_accuracy",
               "held_out_accuracy", "unseen_accuracy", "preview_per_s", "preview_p50_ms", "preview_p95_ms"]  # fmt: skip
    print_table(rows, columns)
    median = {
        c: float(np.median([r[c] for r in rows])) for c in columns[1:] if all(r[c] is not None for r in rows)
    }
    print("median:", {k: round(v, 4) for k, v in median.items()})
    path = save(args.save_as, {"machine": machine(), "settings": vars(args), "runs": rows, "median": median})
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
