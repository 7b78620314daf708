"""`nnzero scratch`: the NumPy engine's course cases, by hand, without PyTorch.

nnzero scratch toy                          # case 1: a 3-4-1 sigmoid net learns a truth table
nnzero scratch toy --task xor               # why the hidden layer matters
nnzero scratch train mnist --model softmax  # one weight per pixel per digit, with pictures
nnzero scratch train mnist --model mlp --explain
nnzero scratch train mnist --model lenet --name lenet-by-hand
nnzero scratch export runs/lenet-by-hand --out lenet.pt   # then: nnzero evaluate lenet.pt
"""

from __future__ import annotations

import time

from nnzero.commands._common import add_command, add_dry_run, add_json, emit_json, say
from nnzero.i18n import tr
from nnzero.scratch.toy import TOY_X, TOY_Y, train_toy


def register(sub) -> None:
    p = add_command(
        sub,
        "scratch",
        "the NumPy engine: networks written by hand (toy, train, export)",
        "NumPy 引擎: 手写的神经网络 (toy, train, export)",
        [
            "nnzero scratch toy",
            "nnzero scratch train mnist --model mlp",
            "nnzero scratch export runs/NAME --out m.pt",
        ],
        lambda args: args.parser.print_help(),
    )
    p.set_defaults(parser=p)
    inner = p.add_subparsers(dest="scratch_command", metavar="COMMAND")
    _register_toy(inner)
    from nnzero.commands._scratch_train import register_train

    register_train(inner)
    _register_export(inner)


# -- toy ------------------------------------------------------------------------------------------
def _register_toy(inner) -> None:
    p = add_command(
        inner,
        "toy",
        "the course's case 1: a 3-input, 4-hidden, 1-output sigmoid network learns a 4-row truth table",
        "课程案例一: 3 输入、4 隐藏、1 输出的 sigmoid 网络学习 4 行真值表",
        ["nnzero scratch toy", "nnzero scratch toy --task xor", "nnzero scratch toy --hidden 8 --json"],
        run_toy,
    )
    p.add_argument(
        "--task", choices=sorted(TOY_Y), default="or", help=tr("the table to learn", "要学习的真值表")
    )
    p.add_argument("--iterations", type=int, default=100_000, help=tr("full-batch updates", "全批量更新次数"))
    p.add_argument(
        "--hidden", type=int, default=4, help=tr("hidden units (0: none)", "隐藏单元数 (0: 无隐藏层)")
    )
    p.add_argument(
        "--seed", type=int, default=1, help=tr("seed of the starting weights", "初始权重的随机种子")
    )
    add_json(p)
    add_dry_run(p)


def run_toy(args) -> int:
    start, y = time.perf_counter(), TOY_Y[args.task]
    iterations = min(args.iterations, 1000) if args.dry_run else args.iterations
    speak = lambda message: say(args, message)  # noqa: E731
    runs = [train_toy(args.task, args.hidden, iterations, args.seed, say=speak)]
    if args.task == "xor" and args.hidden:
        say(args, tr("\nthe same without a hidden layer:", "\n同样的任务, 没有隐藏层:"))
        runs.append(train_toy(args.task, 0, iterations, args.seed, say=speak))
    for r in runs:
        say(
            args,
            tr(
                "{h} hidden units: inputs -> prediction (target)",
                "{h} 个隐藏单元: 输入 -> 预测 (目标)",
                h=r["hidden"],
            ),
        )
        for row, p, t in zip(TOY_X.astype(int).tolist(), r["predictions"], y[:, 0], strict=True):
            say(args, f"  {row} -> {p:.4f} ({t:.0f})")
    if args.task == "xor" and len(runs) == 2:
        ## One sigmoid neuron draws a single straight line through input space; XOR's
        ## 1s (01, 10) and 0s (00, 11) lie on the diagonals, and no line separates them.
        say(
            args,
            tr(
                "without hidden units the net can only draw one straight line, and no line separates "
                "XOR's 1s from its 0s: its predictions stay near 0.5. The hidden layer bends the space.",
                "没有隐藏层时网络只能画一条直线, 而没有一条直线能把 XOR 的 1 和 0 分开: 预测停在 0.5 附近。"
                "隐藏层把空间弯曲了。",
            ),
        )
    if args.json:
        emit_json(
            {
                "task": args.task,
                "iterations": iterations,
                "targets": y[:, 0].tolist(),
                "runs": runs,
                "predictions": runs[0]["predictions"],
                "correct": runs[0]["correct"],
                "seconds": round(time.perf_counter() - start, 2),
                "dry_run": bool(args.dry_run),
            }
        )
    return 0


# -- export ---------------------------------------------------------------------------------------
def _register_export(inner) -> None:
    p = add_command(
        inner,
        "export",
        "turn a scratch network (.npz or run folder) into an nnzero PyTorch checkpoint",
        "把 scratch 网络 (.npz 或运行目录) 转换为 nnzero 的 PyTorch 检查点",
        [
            "nnzero scratch export runs/NAME --out model.pt",
            "nnzero scratch export runs/NAME/model.npz --out m.pt",
        ],
        run_export,
    )
    p.add_argument(
        "source",
        metavar="RUN_OR_NPZ",
        help=tr("a scratch run folder or its model.npz", "scratch 运行目录或其中的 model.npz"),
    )
    p.add_argument(
        "--out",
        help=tr(
            "checkpoint to write (default: next to the .npz, as model.pt)",
            "要写入的检查点 (默认: 与 .npz 同目录的 model.pt)",
        ),
    )
    p.add_argument(
        "--model",
        help=tr(
            "registered model to export to (default: the one with the same layers)",
            "导出为哪个已注册模型 (默认: 各层一致的那个)",
        ),
    )
    add_json(p)
    add_dry_run(p)


def run_export(args) -> int:
    from pathlib import Path

    from nnzero.training.scratch_export import export_checkpoint

    source = Path(args.source)
    npz = source / "model.npz" if source.is_dir() else source
    out = Path(args.out) if args.out else npz.with_suffix(".pt")
    result = export_checkpoint(npz, out, model_name=args.model, dry_run=args.dry_run)
    say(
        args,
        tr(
            "{src} -> {out} as registered model {name}; largest logit difference on {n} real test images: {d:.2e}",
            "{src} -> {out}, 已注册模型 {name}; 在 {n} 张真实测试图像上 logits 的最大差: {d:.2e}",
            src=npz,
            out=result["checkpoint"] or tr("(dry run: not written)", "(试运行: 未写入)"),
            name=result["model_name"],
            n=result["images_checked"],
            d=result["max_logit_difference"],
        ),
    )
    if args.json:
        emit_json(result)
    return 0
