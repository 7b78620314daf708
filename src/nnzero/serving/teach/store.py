"""A Teach project on disk: ``DIR/<class>/<id>.jpg``, the folder layout ``nnzero train photos`` reads.

    project = Project("my_classes")
    ids = project.add("杯子", [(jpeg_bytes, "IMG_1.jpg")])      # decoded, re-encoded, written; -> ids
    project.classes()                                            # {"杯子": [Example, ...], ...}
    project.delete(ids[0])

The folder is the truth: every call reads it again, so examples put in by hand, another server on the
same folder, or a restart all show. Nothing a client sends is written as it came: each picture is
decoded (with the upload limits of ``datasets.images.open_image``), turned upright by its EXIF
orientation, made at most ``max_side`` pixels on its longer side and re-encoded as a JPEG without
metadata (no GPS position, no camera serial), under a name the server makes (``names.py``). Files
appear whole (written under a temporary name, then renamed), so a training that reads the folder at
the same moment sees an example or not, never half of one.
"""

from __future__ import annotations

import io
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from nnzero.atomic import write_bytes
from nnzero.datasets.bursts import burst_of
from nnzero.datasets.foldertree import find_classes, list_images
from nnzero.datasets.images import open_image, to_mode
from nnzero.errors import DataError
from nnzero.i18n import tr
from nnzero.serving.teach.names import check_class_name, example_id, id_of, new_burst

MAX_SIDE = 1024  # pixels: four times what the largest backbone (260 px) looks at
QUALITY = 92
MAX_PROJECT_BYTES = 1024**3  # 1 GB of examples
MAX_EXAMPLES = 20_000


class ProjectFull(DataError):
    """Adding would pass the project's size limits (the API answers 413)."""


@dataclass(frozen=True)
class Example:
    id: str
    label: str
    path: Path
    bytes: int
    mtime_ns: int

    @property
    def burst(self) -> str | None:
        return burst_of(self.path.name)


class Project:
    """The examples of one folder, per class; safe to share between the server's threads."""

    def __init__(
        self,
        root: str | Path,
        *,
        max_bytes: int = MAX_PROJECT_BYTES,
        max_examples: int = MAX_EXAMPLES,
        max_side: int = MAX_SIDE,
    ):
        self.root = Path(root).expanduser().resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        self.max_bytes, self.max_examples, self.max_side = max_bytes, max_examples, max_side
        self._lock = threading.Lock()  # one writer at a time checks the limits and picks names

    # -- reading -------------------------------------------------------------------------------
    def classes(self) -> dict[str, list[Example]]:
        """{class: its examples, oldest first}, classes sorted as `nnzero train photos` numbers them."""
        names = find_classes(self.root)
        prints, labels = list_images(self.root, names)
        out: dict[str, list[Example]] = {name: [] for name in names}
        for (rel, size, mtime), label in zip(prints, labels):
            out[names[label]].append(Example(id_of(rel), names[label], self.root / rel, size, mtime))
        for examples in out.values():
            examples.sort(key=lambda e: (e.mtime_ns, e.path.name))
        return {name: examples for name, examples in out.items() if examples}

    def examples(self) -> list[Example]:
        return [e for examples in self.classes().values() for e in examples]

    def find(self, example: str) -> Example | None:
        return next((e for e in self.examples() if e.id == example), None)

    def counts(self) -> dict[str, int]:
        return {name: len(examples) for name, examples in self.classes().items()}

    # -- writing -------------------------------------------------------------------------------
    def add(self, label: str, files: list[tuple[bytes, str]], burst: str | None = None) -> list[Example]:
        """Decode, re-encode and write each (bytes, client's file name) as an example of ``label``.

        All or nothing: a file that is no image (DataError) refuses the whole request before anything
        is written. ``burst``: these are frames of one held capture (the page sends the burst the first
        frame got back); without it every file is a capture of its own."""
        label = check_class_name(label)
        encoded = [self._reencode(data, name) for data, name in files]  # (bytes, ...): decoding first
        with self._lock:
            current = self.classes()
            label = self._existing_spelling(label, current)
            self._check_room(current, sum(len(b) for b in encoded), len(encoded))
            folder = self.root / label
            folder.mkdir(exist_ok=True)
            taken = {e.id for examples in current.values() for e in examples}
            added = []
            for data in encoded:
                new = example_id(burst or new_burst())
                while new in taken:  # 16 million frames a burst: practically never
                    new = example_id(burst or new_burst())
                taken.add(new)
                path = write_bytes(folder / f"{new}.jpg", data)
                st = path.stat()
                added.append(Example(new, label, path, st.st_size, st.st_mtime_ns))
        return added

    def delete(self, example: str) -> Example | None:
        """Remove one example (and its class folder once empty); None when there is no such example."""
        with self._lock:
            found = self.find(example)
            if found is None:
                return None
            found.path.unlink(missing_ok=True)
            self._drop_empty(found.path.parent)
        return found

    def delete_class(self, label: str) -> list[Example]:
        """Remove every example of a class, then its folder if nothing else is left in it."""
        with self._lock:
            examples = self.classes().get(label, [])
            for e in examples:
                e.path.unlink(missing_ok=True)
                self._drop_empty(e.path.parent)
        return examples

    def thumbnail(self, example: Example, side: int = 160) -> bytes:
        """A small JPEG of an example, for the page's list (decoded at a reduced scale: milliseconds)."""
        image = to_mode(open_image(example.path, draft=(side, side)), 3)
        image.thumbnail((side, side))
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", quality=80)
        return buffer.getvalue()

    # -- helpers -------------------------------------------------------------------------------
    def _reencode(self, data: bytes, name: str) -> bytes:
        """The picture as a JPEG of at most ``max_side`` pixels, without any of the file's metadata."""
        image = to_mode(open_image(data, name=name or "<upload>"), 3)  # EXIF orientation applied
        image.thumbnail((self.max_side, self.max_side), Image.Resampling.LANCZOS)
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", quality=QUALITY)  # no exif=, no icc_profile=: nothing carried over
        return buffer.getvalue()

    def _existing_spelling(self, label: str, current: dict) -> str:
        """A class that differs only in upper/lower case would share its folder on Windows and macOS."""
        if label in current:
            return label
        for other in current:
            if other.casefold() == label.casefold():
                raise DataError(
                    tr(
                        "{new!r} and the class {old!r} differ only in upper and lower case; "
                        "use {old!r}, or another name",
                        "{new!r} 与已有类别 {old!r} 只有大小写不同; 请用 {old!r} 或换个名字",
                        new=label,
                        old=other,
                    )
                )
        return label

    def _check_room(self, current: dict, new_bytes: int, new_files: int) -> None:
        examples = [e for items in current.values() for e in items]
        used = sum(e.bytes for e in examples)
        if used + new_bytes > self.max_bytes or len(examples) + new_files > self.max_examples:
            raise ProjectFull(
                tr(
                    "the project is full ({n:,} examples, {mb:.0f} MB; the limits are {max_n:,} examples "
                    "and {max_mb:.0f} MB): delete some examples first",
                    "项目已满 ({n:,} 个样本, {mb:.0f} MB; 上限是 {max_n:,} 个样本和 {max_mb:.0f} MB): 请先删除一些样本",
                    n=len(examples),
                    mb=used / 1e6,
                    max_n=self.max_examples,
                    max_mb=self.max_bytes / 1e6,
                )
            )

    def _drop_empty(self, folder: Path) -> None:
        while folder != self.root and folder.is_relative_to(self.root):
            try:
                os.rmdir(folder)  # only succeeds when nothing is left in it
            except OSError:
                return
            folder = folder.parent
