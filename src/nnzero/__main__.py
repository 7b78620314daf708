"""`python -m nnzero ...` is the same as the `nnzero` command (torchrun uses this form)."""

from nnzero.cli import run

if __name__ == "__main__":
    run()
