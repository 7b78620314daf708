"""What every subcommand shares: help with a pasteable example, --json, --dry-run."""

from __future__ import annotations

import argparse
import json
import sys

from nnzero.i18n import tr


def add_command(
    sub, name: str, help_en: str, help_zh: str, examples: list[str], run
) -> argparse.ArgumentParser:
    """A subparser whose help ends with examples the user can paste."""
    epilog = tr("examples:", "示例:") + "\n" + "\n".join(f"  {e}" for e in examples)
    parser = sub.add_parser(
        name,
        help=tr(help_en, help_zh),
        description=tr(help_en, help_zh),
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.set_defaults(run=run)
    return parser


def add_json(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--json",
        action="store_true",
        help=tr("print machine-readable JSON instead of text", "输出机器可读的 JSON"),
    )


def add_dry_run(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help=tr(
            "check everything on one small batch, in seconds, and write nothing lasting",
            "只用一小批数据检查整个流程 (几秒钟), 不保留结果",
        ),
    )


def emit_json(obj) -> None:
    """One JSON object on its own line of stdout."""
    print(json.dumps(obj, ensure_ascii=False, default=_plain), flush=True)


def _plain(value):
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "__fspath__"):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def say(args, message: str) -> None:
    """Human progress text: on stdout normally, on stderr under --json so stdout stays parseable."""
    print(message, file=sys.stderr if getattr(args, "json", False) else sys.stdout, flush=True)


def add_precision(parser: argparse.ArgumentParser) -> None:
    """--precision for the commands that run a trained network (predict, submit, serve, teach)."""
    parser.add_argument(
        "--precision",
        choices=("fp32", "bf16", "auto"),
        default="auto",
        help=tr(
            "auto (default): bfloat16 for photo models on a CPU or GPU with bfloat16 hardware, float32 "
            "otherwise; bf16: bfloat16 anyway (slower without that hardware); fp32: float32",
            "auto (默认): 照片模型在有 bfloat16 硬件的 CPU 或 GPU 上用 bfloat16, 否则用 float32; "
            "bf16: 总是用 bfloat16 (没有该硬件时更慢); fp32: float32",
        ),
    )


def add_tta(parser: argparse.ArgumentParser) -> None:
    """--tta for a checkpoint's predictions: shifts, or none (default: what the checkpoint keeps)."""
    parser.add_argument(
        "--tta",
        choices=["none", "shifts"],
        help=tr(
            "average over the image and copies shifted by 1 pixel (shifts), or not (none); "
            "default: what the checkpoint keeps (`train --tta`)",
            "对图像及其平移 1 个像素的副本取平均 (shifts), 或不取 (none); 默认: 检查点中保存的设置 (`train --tta`)",
        ),
    )


def add_log_every(p) -> None:
    """--log-every: both engines' train commands."""
    p.add_argument(
        "--log-every",
        type=int,
        metavar="N",
        help=tr(
            "a row of steps.csv (training loss, accuracy, learning rate; also TensorBoard and the curves) "
            "every N steps (default: chosen so that the run has 50-125 rows)",
            "每 N 步记录一行 steps.csv (训练损失、准确率、学习率; 也写入 TensorBoard 和曲线图) "
            "(默认: 自动选择, 使一次训练有 50-125 行)",
        ),
    )
