"""`nnzero lesson`: each concept of the course with worked numbers and a picture.

nnzero lesson                          # the topics, one line each
nnzero lesson neuron --lang zh         # 今天加班吗? writes ./lesson-neuron.png
nnzero lesson softmax --out figures/
nnzero lesson conv --index 0 --json    # another MNIST digit; the key numbers as JSON
nnzero lesson all --out lessons/       # every lesson, every picture
nnzero lesson sound --file my_clip.wav # a sound is a picture too: your own recording
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from nnzero.commands._common import add_command, add_dry_run, add_json, emit_json, say
from nnzero.errors import NnzeroError
from nnzero.i18n import LANGS, set_lang, tr
from nnzero.lessons import TOPICS


def register(sub) -> None:
    p = add_command(
        sub,
        "lesson",
        "show one concept of the course with worked numbers and a picture (PNG)",
        "用具体数字和一张图 (PNG) 讲解课程中的一个概念",
        [
            "nnzero lesson",
            "nnzero lesson neuron --lang zh",
            "nnzero lesson softmax --out figures/",
            "nnzero lesson conv --index 0 --json",
            "nnzero lesson all --out lessons/",
            "nnzero lesson sound --file data/fsdd/recordings/7_jackson_32.wav",
        ],
        run,
    )
    p.add_argument(
        "topic",
        nargs="?",
        choices=[*TOPICS, "all"],
        metavar="TOPIC",
        help=tr(
            "one of: {t}, or all (leave out to list them)",
            "可选: {t}, 或 all (不写则列出全部)",
            t=", ".join(TOPICS),
        ),
    )
    p.add_argument(
        "--out",
        type=Path,
        default=Path("."),
        metavar="DIR",
        help=tr("folder for the PNG (default: the current folder)", "PNG 的保存目录 (默认: 当前目录)"),
    )
    p.add_argument(
        "--lang",
        dest="lesson_lang",
        choices=LANGS,
        help=tr(
            "language of the text and the figure (or NNZERO_LANG=zh)",
            "讲解和图片的语言 (或设置 NNZERO_LANG=zh)",
        ),
    )
    p.add_argument(
        "--index",
        type=int,
        metavar="N",
        help=tr(
            "conv only: which MNIST test image to use (default 4, a 4)",
            "仅用于 conv: 使用第几张 MNIST 测试图像 (默认 4, 一个 4)",
        ),
    )
    p.add_argument(
        "--file",
        metavar="SOUND",
        help=tr(
            "sound only: a recording (WAV, FLAC, OGG, MP3) instead of the synthesised vowel",
            "仅用于 sound: 用一段录音 (WAV、FLAC、OGG、MP3) 代替合成的元音",
        ),
    )
    add_json(p)
    add_dry_run(p)


def _options(name: str, args) -> dict:
    if name == "conv" and args.index is not None:
        return {"index": args.index}
    if name == "sound" and args.file is not None:
        return {"file": args.file}
    return {}


def _list_topics(args) -> int:
    if args.json:
        emit_json({"topics": [{"name": t.name, "description": t.describe()} for t in TOPICS.values()]})
        return 0
    print(
        tr(
            "Lessons (nnzero lesson TOPIC [--out DIR] [--lang zh]):",
            "课程 (nnzero lesson 主题 [--out 目录] [--lang zh]):",
        )
    )
    for t in TOPICS.values():
        print(f"  {t.name:<18}{t.describe()}")
    return 0


def run(args) -> int:
    from nnzero.lessons import run_lesson

    if args.lesson_lang:
        set_lang(args.lesson_lang)
    if args.topic is None:
        return _list_topics(args)
    names = list(TOPICS) if args.topic == "all" else [args.topic]
    if args.index is not None and "conv" not in names:
        raise NnzeroError(tr("--index is for the conv lesson only", "--index 只用于 conv 课程"))
    if args.file is not None and "sound" not in names:
        raise NnzeroError(tr("--file is for the sound lesson only", "--file 只用于 sound 课程"))
    reports = []
    with tempfile.TemporaryDirectory(prefix="nnzero-lesson-") as scratch:
        ## --dry-run draws every figure too (they take seconds) but into a folder that is then deleted.
        out = Path(scratch) if args.dry_run else args.out
        for name in names:
            done = run_lesson(name, out, **_options(name, args))
            reports.append(
                {
                    "topic": name,
                    "description": TOPICS[name].describe(),
                    "png": None if args.dry_run else str(done.png),
                    "figure_lang": done.figure_lang,
                    "numbers": done.numbers,
                }
            )
            if not args.json:
                print(f"== {name}: {TOPICS[name].describe()} ==")
                print("\n".join(done.lines))
            if args.dry_run:
                say(args, tr("dry run: figure drawn, not kept", "试运行: 图已画好, 不保存"))
            else:
                say(args, tr("wrote {p}", "已写入 {p}", p=done.png))
            if not args.json:
                print()
    # without a CJK font, nnzero.figures has said so once (one line, with the fix)
    if args.json:
        emit_json(reports[0] if len(reports) == 1 else {"lessons": reports})
    return 0
