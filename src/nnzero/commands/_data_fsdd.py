"""`nnzero data fetch fsdd`: the Free Spoken Digit Dataset's 2,500 recordings, each md5-checked.

nnzero data fetch fsdd --to data/fsdd
nnzero data fetch fsdd --to data/fsdd --mirror http://mirror.my-school.edu/fsdd/recordings/
"""

from __future__ import annotations

import time
from pathlib import Path

from nnzero.commands._common import emit_json, say
from nnzero.i18n import tr


def run_fetch_fsdd(args) -> int:
    from nnzero.datasets.download import env_mirrors
    from nnzero.datasets.fsdd import MIRRORS, fetch_fsdd, planned, published_md5

    mirrors = args.mirror or env_mirrors("fsdd") or list(MIRRORS)
    folder = Path(args.to)
    start = time.perf_counter()
    if args.dry_run:
        plan = planned(folder)
        say(
            args,
            tr(
                "would fetch fsdd into {f}/recordings, trying in order:",
                "将把 fsdd 下载到 {f}/recordings, 依次尝试:",
                f=folder,
            ),
        )
        for m in mirrors:
            say(args, f"  {m}")
        say(
            args,
            tr(
                "  {p:,} recordings present (md5 checked), {w:,} to download",
                "  已有 {p:,} 个录音 (md5 已校验), 需下载 {w:,} 个",
                p=plan["present"],
                w=plan["would_download"],
            ),
        )
        result = {"present": plan["present"], "would_download": plan["would_download"]}
    else:
        fetched = fetch_fsdd(folder, mirrors, args.timeout)
        downloaded = [f for f in fetched if f.url is not None]
        result = {
            "present": len(fetched) - len(downloaded),
            "downloaded": len(downloaded),
            "failed_mirrors": sorted({url.rsplit("/", 1)[0] + "/" for f in fetched for url, _ in f.failures}),
        }
        say(
            args,
            tr(
                "fsdd is ready in {f}: {n:,} recordings (md5 checked; {d:,} downloaded now); licence CC BY-SA 4.0 "
                "(github.com/Jakobovski/free-spoken-digit-dataset)\nuse it: nnzero train fsdd --data-dir {f}",
                "fsdd 已就绪于 {f}: {n:,} 个录音 (md5 已校验; 本次下载 {d:,} 个); 许可 CC BY-SA 4.0 "
                "(github.com/Jakobovski/free-spoken-digit-dataset)\n使用: nnzero train fsdd --data-dir {f}",
                f=folder,
                n=len(published_md5()),
                d=len(downloaded),
            ),
        )
    if args.json:
        emit_json(
            {"dataset": "fsdd", "to": str(folder), "mirrors": mirrors, **result, "dry_run": args.dry_run,
             "seconds": round(time.perf_counter() - start, 3)}
        )  # fmt: skip
    return 0
