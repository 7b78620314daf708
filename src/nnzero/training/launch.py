"""`nnzero train --nproc N`: start N training processes on this machine through torchrun.

For users who have never met torchrun: the same command line, less ``--nproc``, runs as

    python -m torch.distributed.run --standalone --nproc_per_node N -m nnzero train ...

``--standalone`` lets torchrun pick a free port on this machine. On the CPU, each process
gets cores / N threads, so together they use the machine once, not N times over.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

from nnzero.errors import NnzeroError
from nnzero.i18n import lang, tr
from nnzero.training import distributed

SKIP = {"help", "nproc"}  # options the workers must not see again


def worker_argv(parser: argparse.ArgumentParser, args: argparse.Namespace) -> list[str]:
    """The command line that parses back to ``args`` (less --nproc), rebuilt from the parser's options."""
    argv: list[str] = []
    for action in parser._actions:  # argparse keeps no public list of its options
        value = getattr(args, action.dest, None)
        if action.dest in SKIP or value is None:
            continue
        if not action.option_strings:  # a positional argument
            argv.append(str(value))
        elif value == action.default:
            continue
        elif isinstance(action, argparse._StoreTrueAction):
            argv.append(action.option_strings[0])
        elif isinstance(action, argparse._AppendAction):
            for item in value:
                argv += [action.option_strings[0], str(item)]
        elif isinstance(action, argparse.BooleanOptionalAction):  # --augment / --no-augment
            yes, no = action.option_strings[:2]
            argv.append(yes if value else no)
        else:
            argv += [action.option_strings[0], str(value)]
    return argv


def launch_local(parser: argparse.ArgumentParser, args: argparse.Namespace, nproc: int) -> int:
    """Run the same training in ``nproc`` processes; returns torchrun's exit code."""
    if nproc < 1:
        raise NnzeroError(tr("--nproc must be 1 or more", "--nproc 必须至少为 1"))
    if distributed.requested():
        raise NnzeroError(
            tr(
                "--nproc starts torchrun itself; under torchrun leave --nproc out",
                "--nproc 会自己启动 torchrun; 已经在 torchrun 下运行时请去掉 --nproc",
            )
        )
    cores = distributed.cpu_cores()
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={nproc}"]
    command += ["-m", "nnzero", "train", *worker_argv(parser, args)]
    env = {**os.environ, "OMP_NUM_THREADS": str(max(1, cores // nproc)), "NNZERO_LANG": lang()}
    torchrun, interrupted = subprocess.Popen(command, env=env), False
    while True:
        try:
            code = torchrun.wait()
            return 130 if interrupted else code
        except KeyboardInterrupt:
            ## Ctrl-C reached torchrun too: it passes it on to the workers (rank 0 saves last.pt)
            ## and then ends. Killing torchrun now would orphan the workers, so wait for it.
            interrupted = True
