"""Names in a Teach project: a class is any printable text that is safe as a folder; examples get the server's.

    check_class_name("我的杯子")      # '我的杯子'
    check_class_name("../x")          # NameRefused (the API answers 422)
    new_burst(), example_id(burst)    # '3fa0c1b2', '3fa0c1b2-00a1b2'

A class name becomes a folder (``DIR/<class>/``), so it must name exactly one folder on every system
a project may be copied to: no path separators or characters Windows forbids, no control or invisible
characters, not ``.``/``..`` or hidden, not a Windows device name (``CON``, ``com1.txt``), no trailing
dot or space, and not a name that changes how ``nnzero train photos`` reads the folder (``train``,
``test``, ``runs``, ...). Text is NFC-normalised, so a name typed on a Mac and on a phone is one folder.

Example files are named by the server alone: ``BURST-FRAME.jpg``, random hex digits, the frames of one
held capture sharing ``BURST`` (``datasets/bursts.py`` holds a burst out as a whole). A file put into
the folder by hand keeps its name; its id is made from its path.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata

from nnzero.datasets.bursts import BURST_NAME
from nnzero.errors import DataError
from nnzero.i18n import tr

MAX_NAME = 64  # characters
FORBIDDEN = set('/\\:*?"<>|')  # separators, and what Windows refuses in a file name
DEVICES = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}
## folder names that mean something else to `nnzero train photos` (split folders, Microsoft's download, runs)
RESERVED = {"train", "test", "test1", "val", "valid", "validation", "petimages", "runs"}
EXAMPLE_ID = r"^([0-9a-f]{8}-[0-9a-f]{6}|f[0-9a-f]{14})$"  # a Teach example, or a file put there by hand
BURST = r"^[0-9a-f]{8}$"


class NameRefused(DataError):
    """A class name that cannot be a folder (the API answers 422)."""


def check_class_name(raw: str) -> str:
    """The class name as its folder will be called (NFC, outer spaces removed); NameRefused if it cannot be one."""
    name = unicodedata.normalize("NFC", str(raw)).strip(" ")
    problem = _problem(name)
    if problem:
        raise NameRefused(
            tr(
                "{name!r} cannot be a class name: {why}",
                "{name!r} 不能作为类别名: {why}",
                name=raw,
                why=tr(*problem),
            )
        )
    return name


def _problem(name: str) -> tuple[str, str] | None:
    """(English, Chinese) why ``name`` is refused, or None."""
    if not name:
        return "it is empty", "名字是空的"
    if len(name) > MAX_NAME:
        return f"it is longer than {MAX_NAME} characters", f"超过 {MAX_NAME} 个字符"
    if any(c in FORBIDDEN for c in name):
        return 'it holds / \\ : * ? " < > or |', '含有 / \\ : * ? " < > 或 |'
    if any(unicodedata.category(c)[0] in "CZ" and c != " " for c in name):
        return "it holds control, invisible or line-breaking characters", "含有控制字符、不可见字符或换行"
    if name.startswith(".") or name.endswith((".", " ")):
        return "it starts with a dot or ends with a dot or a space", "以点开头, 或以点或空格结尾"
    if name.split(".")[0].strip().lower() in DEVICES:
        return "it is a Windows device name (CON, PRN, AUX, NUL, COM1, LPT1, ...)", "是 Windows 的设备名"
    if name.lower() in RESERVED:
        return (
            "train, test, val, runs and PetImages are folder names nnzero reads differently",
            "train、test、val、runs 和 PetImages 是 nnzero 另有用途的文件夹名",
        )
    return None


def new_burst() -> str:
    """A new capture burst: 8 random hex digits."""
    return secrets.token_hex(4)


def example_id(burst: str) -> str:
    """A new frame of ``burst``: its file is ``<id>.jpg``."""
    return f"{burst}-{secrets.token_hex(3)}"


def id_of(relative_path: str) -> str:
    """The id of an example file: its name for the server's own, a hash of its path for any other."""
    name = relative_path.rsplit("/", 1)[-1]
    if BURST_NAME.match(name):
        return name[: -len(".jpg")]
    return "f" + hashlib.sha256(relative_path.encode("utf-8")).hexdigest()[:14]


def valid_id(text: str) -> bool:
    return re.match(EXAMPLE_ID, text) is not None
