"""`python -m nnzero ...` is the same as the `nnzero` command (torchrun uses this form)."""

from nnzero.cli import leave_if_torchrun_worker, main

if __name__ == "__main__":
    raise SystemExit(leave_if_torchrun_worker(main()))
