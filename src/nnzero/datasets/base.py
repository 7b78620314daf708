"""The in-memory form every data set takes before training: uint8 arrays and class names."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class ImageSet:
    """Images as uint8 (N, C, H, W), labels as int64 (N,), and how to normalise them.

    ``kind`` tells serving how to turn a user's picture into model input:
    "digits" (MNIST-style centring of dark ink on light paper) or "photos" (resize).
    """

    images: np.ndarray  # (N, C, H, W) uint8
    labels: np.ndarray  # (N,) int64
    classes: list[str]
    name: str
    kind: str = "digits"
    mean: tuple[float, ...] = (0.1307,)  # per channel, on the [0, 1] scale
    std: tuple[float, ...] = (0.3081,)
    files: list[str] = field(default_factory=list)  # where each image came from, when from files
    resize: str = "crop"  # how photos were fitted to the square: "crop" (shorter side, centre) or "squash"
    ## (file, why) for files that could not be decoded
    skipped: list[tuple[str, str]] = field(default_factory=list)
    ## sound data (kind "sound"): how a clip became these pictures (datasets.sound_pictures.sound_spec)
    audio: dict | None = None

    def __post_init__(self):
        if self.images.ndim != 4 or self.images.dtype != np.uint8:
            raise ValueError(
                f"images must be uint8 (N, C, H, W), got {self.images.dtype} {self.images.shape}"
            )
        if len(self.images) != len(self.labels):
            raise ValueError(f"{len(self.images)} images but {len(self.labels)} labels")

    def __len__(self) -> int:
        return len(self.labels)

    @property
    def channels(self) -> int:
        return self.images.shape[1]

    @property
    def image_size(self) -> int:
        return self.images.shape[2]

    def input_spec(self) -> dict:
        """How a new image must be prepared to look like this data (stored in checkpoints)."""
        spec = input_spec(self.kind, self.channels, self.image_size, self.mean, self.std, self.resize)
        return spec if self.audio is None else spec | {"audio": dict(self.audio)}

    def subset(self, index: np.ndarray) -> ImageSet:
        files = [self.files[i] for i in index] if self.files else []
        return ImageSet(
            self.images[index],
            self.labels[index],
            self.classes,
            self.name,
            self.kind,
            self.mean,
            self.std,
            files,
            self.resize,
            self.skipped,
            self.audio,
        )


def input_spec(kind: str, channels: int, size: int, mean, std, resize: str = "crop") -> dict:
    """The preparation a checkpoint carries, so prediction rebuilds it from the file alone.

    ``kind``: "digits" (MNIST-style centring), "photos" (resize and crop), "items" (as is) or "sound"
    (a clip's log-mel pictures, with the recipe under "audio");
    ``mean``/``std`` per channel on the [0, 1] scale; ``resize``: "crop" or "squash".
    """
    return {
        "kind": kind,
        "channels": int(channels),
        "size": int(size),
        "mean": [float(m) for m in mean],
        "std": [float(s) for s in std],
        "resize": resize,
    }


def channel_stats(images: np.ndarray) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Per-channel mean and std on the [0, 1] scale, from up to 10,000 images."""
    sample = images[:: max(1, len(images) // 10000)].astype(np.float32) / 255.0  # (n, C, H, W)
    mean = sample.mean(axis=(0, 2, 3))
    std = sample.std(axis=(0, 2, 3)) + 1e-6
    return tuple(round(float(m), 4) for m in mean), tuple(round(float(s), 4) for s in std)
