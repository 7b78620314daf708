"""Errors meant for the user: the CLI prints their message alone, without a traceback."""


class NnzeroError(Exception):
    """A problem the user can fix (bad file, bad option); the message says how."""


class DataError(NnzeroError):
    """A data file is missing, truncated, of the wrong kind, or fails its checksum."""


class CheckpointError(NnzeroError):
    """A file is not an nnzero checkpoint, or cannot be used as one."""
