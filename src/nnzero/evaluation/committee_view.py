"""A committee seen from outside: each member's score, how they voted, and the images they disagree on.

The numbers come from ``nnzero.training.committee.vote_breakdown`` (kept in the committee's best.pt, or
computed by ``nnzero evaluate``); this module words them, draws them, and makes the report's section.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from nnzero.evaluation.html import esc, img, table, text
from nnzero.evaluation.plots import plot_gallery
from nnzero.figures import figure_zh, pick
from nnzero.i18n import tr

GALLERY = 32  # images drawn in each picture


def _sentences(votes: dict) -> list[tuple[str, str]]:
    """(English, Chinese) sentences about how a committee voted."""
    alone = ", ".join(f"{m['accuracy']:.4f}" for m in votes["members"])
    n, c = len(votes["members"]), votes["committee"]
    split = (votes["all_right"], votes["split"], votes["rescued"], votes["lost"], len(votes["all_wrong"]))
    return [
        (
            f"committee of {n}: {c['accuracy']:.4f} (log-loss {c['log_loss']:.4f}); each member as it votes: {alone}",
            f"{n} 个成员的委员会: {c['accuracy']:.4f} (对数损失 {c['log_loss']:.4f}); 各成员 (投票时): {alone}",
        ),
        (
            "every member right on {} images; split on {} (the average rescued {}, lost {}); "
            "every member wrong on {}".format(*split),
            "所有成员都对的图像 {} 张; 意见分歧 {} 张 (取平均后救回 {} 张, 丢掉 {} 张); "
            "所有成员都错 {} 张".format(*split),
        ),
    ]


def votes_lines(votes: dict) -> list[str]:
    """The committee part of `nnzero evaluate`'s text report, in the current language."""
    return [tr(en, zh) for en, zh in _sentences(votes)]


def caption(row: dict) -> str:
    """'#1234 9→4 3/8': index, true → the committee's answer, members right of all."""
    right = sum(v == row["true"] for v in row["votes"])
    return f"#{row['index']} {row['true']}→{row['committee']} {right}/{len(row['votes'])}"


def draw_votes(votes: dict, images, out: Path) -> dict:
    """disagreements.png (split votes, committee mistakes first) and all_wrong.png; {name: path}."""
    zh = figure_zh()
    split = sorted(votes["disagreements"], key=lambda r: r["committee"] == r["true"])  # its mistakes first
    pictures = {
        "disagreements_png": (
            split,
            pick(
                "members disagree (true→committee, members right)",
                "成员意见分歧 (真实→委员会, 答对的成员数)",
                zh,
            ),
        ),
        "all_wrong_png": (
            votes["all_wrong"],
            pick("every member wrong (true→committee)", "所有成员都错 (真实→委员会)", zh),
        ),
    }
    files = {}
    for key, (rows, title) in pictures.items():
        if rows:
            rows = rows[:GALLERY]
            path = out / f"{key.removesuffix('_png')}.png"
            plot_gallery(
                np.stack([images[r["index"]] for r in rows]), [caption(r) for r in rows], path, title
            )
            files[key] = path
    return files


def section(info, eval_dir: Path, lang: str) -> tuple[str, str, str] | None:
    """The report's committee section; None for a single network."""
    ckpt = info.checkpoint or {}
    votes = (info.eval or {}).get("committee") or ckpt.get("metrics", {}).get("votes")
    if not votes:
        return None
    members = ckpt.get("metrics", {}).get("members") or []
    header = [
        text(lang, "member", "成员"),
        text(lang, "model", "模型"),
        text(lang, "seed", "种子"),
        text(lang, "best epoch", "最佳轮次"),
        text(lang, "validation", "验证"),
        text(lang, "test, alone", "测试 (单独)"),
        text(lang, "test, as it votes", "测试 (投票时)"),
    ]
    rows = [
        [m.get("index", i) + 1, m.get("model"), str(m.get("seed")), m.get("best_epoch"), m.get("val_accuracy"),
         m.get("test_accuracy"), v["accuracy"]]
        for i, (m, v) in enumerate(zip(members, votes["members"]))
    ]  # fmt: skip
    rows.append([text(lang, "committee", "委员会"), "", "", "", ckpt["metrics"].get("val_accuracy"), "",
                 votes["committee"]["accuracy"]])  # fmt: skip
    body = table(header, rows, left=2) + "".join(f"<p>{esc(line)}</p>" for line in _lines(votes, lang))
    for name in ("disagreements.png", "all_wrong.png"):
        if (eval_dir / name).exists():
            body += img((eval_dir / name).read_bytes(), name, name.removesuffix(".png"))
    heading = text(lang, "Committee: members and their votes", "委员会: 成员和它们的投票")
    return "committee", heading, body


def _lines(votes: dict, lang: str) -> list[str]:
    return [text(lang, en, zh) for en, zh in _sentences(votes)]
