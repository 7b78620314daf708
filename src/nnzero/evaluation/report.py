"""``runs/<name>/report.html``: one self-contained page a learner can open to see the whole run.

Built from the run folder's files alone (``runinfo.py``), so it works for PyTorch and
NumPy-engine runs alike and for runs trained elsewhere; a missing piece becomes a short
note, never an error. When ``best.pt`` is an nnzero checkpoint, its test-set evaluation
comes from ``eval/`` (`nnzero evaluate`'s outputs) if that is up to date, else it is run.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from nnzero import __version__
from nnzero.evaluation import committee_view, report_unknown
from nnzero.evaluation import report_sections as sections
from nnzero.evaluation.html import page, text
from nnzero.evaluation.runinfo import RunInfo, read_run
from nnzero.i18n import tr


def write_report(
    run_dir: str | Path,
    *,
    lang: str = "both",
    out: str | Path | None = None,
    dry_run: bool = False,
    feature_maps: bool = True,
    test_logits=None,
) -> dict:
    """Build report.html (or ``out``); ``dry_run`` evaluates one batch and writes nothing.

    ``test_logits``: best.pt's outputs on its test set, when the caller has them (the end of a
    training run), so that the network does not run over the test set a second time."""
    start = time.perf_counter()
    info = read_run(run_dir)
    with tempfile.TemporaryDirectory(prefix="nnzero-report-") as tmp:
        evaluated, eval_dir, note = ensure_evaluation(info, Path(tmp), dry_run, test_logits)
        document = build_html(info, eval_dir, lang, note, feature_maps)
    path = Path(out) if out else info.run_dir / "report.html"
    if not dry_run:
        part = path.with_name(path.name + ".tmp")
        part.write_text(document, encoding="utf-8")
        part.replace(path)  # a half-written report never replaces a whole one
    return {
        "report": None if dry_run else str(path),
        "bytes": len(document.encode("utf-8")),
        "images": document.count("<img "),
        "sections": sections.ids(document),
        "evaluated": evaluated,
        "seconds": round(time.perf_counter() - start, 2),
    }


def write_report_safely(run_dir: str | Path, say=print, test_logits=None) -> Path | None:
    """The end of a training run: a report failure is a warning, never the loss of the trained run."""
    try:
        path = write_report(run_dir, test_logits=test_logits)["report"]
    except Exception as e:  # noqa: BLE001  (whatever went wrong, the checkpoints are already saved)
        say(
            tr(
                "warning: the report could not be written ({err}); the run is saved; "
                "try again with `nnzero report {run}`",
                "警告: 无法生成报告 ({err}); 训练结果已保存; 可用 `nnzero report {run}` 重试",
                err=f"{type(e).__name__}: {e}",
                run=run_dir,
            )
        )
        return None
    say(tr("report: {path}", "报告: {path}", path=path))
    return Path(path)


class Report:
    """The callback that ends a training run with ``report.html`` (not for a dry run)."""

    def __init__(self, say=print):
        self.say = say

    def on_train_end(self, run) -> None:
        if run.dir is not None and not run.dry_run and (Path(run.dir) / "best.pt").exists():
            write_report_safely(run.dir, say=self.say, test_logits=run.test_logits)


def ensure_evaluation(
    info: RunInfo, tmp: Path, one_batch: bool = False, test_logits=None
) -> tuple[bool, Path, str]:
    """(evaluated now?, folder with confusion.png/mistakes.png/.csv, note if that failed).

    ``eval/`` (what `nnzero evaluate` writes) is used when it is newer than best.pt; otherwise
    best.pt is evaluated into ``tmp``, so building a report adds nothing to the run folder.
    """
    eval_dir = info.run_dir / "eval"
    best = info.run_dir / "best.pt"
    if info.checkpoint is None:
        return False, eval_dir, info.checkpoint_error
    saved = eval_dir / "metrics.json"
    if not one_batch and saved.exists() and (eval_dir / "confusion.png").exists():
        if saved.stat().st_mtime >= best.stat().st_mtime:
            return False, eval_dir, ""
    from nnzero.errors import NnzeroError
    from nnzero.evaluation.evaluate import evaluate_checkpoint

    try:
        result = evaluate_checkpoint(
            best, out_dir=tmp, max_batches=1 if one_batch else None, top_mistakes=16, logits=test_logits
        )
    except (NnzeroError, FileNotFoundError) as e:
        return False, eval_dir, str(e)
    info.eval = {k: v for k, v in result.items() if k != "mistakes"}
    return True, tmp, ""


def build_html(info: RunInfo, eval_dir: Path, lang: str, note: str = "", feature_maps: bool = True) -> str:
    title = text(lang, "Training report", "训练报告") + f": {info.name}"
    parts = [
        sections.config(info, lang),
        sections.summary(info, lang),
        sections.curves(info, lang),
        sections.test_metrics(info, lang, note),
        committee_view.section(info, eval_dir, lang),
        sections.confusion(info, eval_dir, lang),
        sections.mistakes(eval_dir, lang),
        report_unknown.unknown(info, lang),
        report_unknown.imagenet(info, lang),
    ]
    if feature_maps:
        parts.append(sections.feature_maps(info, lang))
    parts.append(sections.other_figures(info, lang))
    intro = sections.overview(info, lang) + (
        f'<p class="note">nnzero {__version__} · {time.strftime("%Y-%m-%d %H:%M")}</p>'
    )
    return page(title, [p for p in parts if p], lang, intro)
