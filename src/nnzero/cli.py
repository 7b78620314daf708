"""The `nnzero` command: one subcommand per module in ``nnzero.commands``.

    nnzero train mnist                      # the main job: train the default CNN
    nnzero models --summary                 # every registered model, layer by layer
    nnzero evaluate runs/NAME/best.pt       # test accuracy, confusion matrix, mistakes
    nnzero predict runs/NAME/best.pt my_digit.jpg
    nnzero serve --model runs/NAME/best.pt     # a web page: draw a digit, drop a photo
    nnzero teach my_classes                 # teach it your own classes in the browser
    nnzero export runs/NAME/best.pt --format web   # ONNX and a page that runs it with no server
    nnzero --lang zh train mnist --help     # 中文帮助

Each subcommand module has ``register(subparsers)``; adding a command is adding its
module name to COMMANDS.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from typing import NoReturn

from nnzero import __version__
from nnzero.errors import NnzeroError
from nnzero.i18n import LANGS, set_lang, tr

COMMANDS = [
    "nnzero.commands.train",
    "nnzero.commands.evaluate",
    "nnzero.commands.predict",
    "nnzero.commands.models",
    "nnzero.commands.data",
    "nnzero.commands.lesson",
    "nnzero.commands.inspect",
    "nnzero.commands.report",
    "nnzero.commands.compare",
    "nnzero.commands.serve",
    "nnzero.commands.teach",
    "nnzero.commands.scratch",
    "nnzero.commands.submit",
    "nnzero.commands.export",
]


def _lang_from_argv(argv: list[str]) -> str | None:
    """--lang must be known before the parser is built, since help texts depend on it."""
    for i, arg in enumerate(argv):
        if arg == "--lang" and i + 1 < len(argv):
            return argv[i + 1] if argv[i + 1] in LANGS else None
        if arg.startswith("--lang="):
            value = arg.split("=", 1)[1]
            return value if value in LANGS else None
    return None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nnzero",
        description=tr(
            "Neural networks from zero: train, evaluate and use image classifiers.",
            "从零开始的神经网络: 训练、评估和使用图像分类器。",
        ),
        epilog=tr(
            "Example: nnzero train mnist   (then: nnzero <command> --help)",
            "示例: nnzero train mnist   (更多: nnzero <命令> --help)",
        ),
    )
    parser.add_argument("--version", action="version", version=f"nnzero {__version__}")
    parser.add_argument(
        "--lang",
        choices=LANGS,
        help=tr("language of messages (or NNZERO_LANG=zh)", "消息语言 (或设置 NNZERO_LANG=zh)"),
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        importlib.import_module(name).register(sub)
    return parser


def run(argv: list[str] | None = None) -> NoReturn:
    """The `nnzero` command and `python -m nnzero`: ``main``, then the end of the process with its code.
    A process torchrun started ends without the interpreter's teardown (``distributed.leave``)."""
    code = main(argv)
    dist = sys.modules.get("nnzero.training.distributed")  # only loaded by training: --help stays fast
    if dist is not None and dist.requested():
        dist.leave(code)
    raise SystemExit(code)


def _tolerant_streams() -> None:
    """Characters a console cannot encode (GBK, ASCII, ...) come out as '?' instead of an exception."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(errors="replace")
        except (AttributeError, ValueError, OSError):  # not a text stream we can reconfigure
            pass


def main(argv: list[str] | None = None) -> int:
    _tolerant_streams()
    argv = list(sys.argv[1:] if argv is None else argv)
    set_lang(_lang_from_argv(argv))
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except NnzeroError as e:
        print(tr("error: {msg}", "错误: {msg}", msg=e), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(tr("interrupted", "已中断"), file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `nnzero ... | head` closed the pipe: not an error worth a traceback
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - stops Python's exit-time flush from failing again
        return 0
    finally:
        set_lang(None)
        sys.stdout.flush()


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    run()
