"""Extra speakers for training: the ten digits said by espeak-ng's voices, made on this machine.

    pictures, labels, names = synthetic_digits(100, spec)     # 100 voices x 10 digits, as log-mel pictures

## Five people are few voices to learn "seven" from: a model may learn their voices instead of the word.
## A speech synthesiser offers hundreds more, in several accents, at any speed and pitch. They sound
## robotic, but they vary exactly where people vary (pitch, speed, vocal tract, accent), so they teach the
## network what does not matter. They are made for training only: no test clip is ever synthetic.

espeak-ng (Debian/Ubuntu: ``apt-get install espeak-ng``) is called once per word and voice, the first
time only: the pictures are cached (``datasets.cache``) under the voices' list and espeak-ng's version.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np

from nnzero.datasets.cache import cached_images, user_cache_dir
from nnzero.errors import DataError
from nnzero.i18n import tr

WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
ACCENTS = (
    "en-us",
    "en-gb",
    "en-gb-x-rp",
    "en-gb-scotland",
    "en-gb-x-gbclan",
    "en-gb-x-gbcwmd",
    "en-029",
    "en-us-nyc",
)
## espeak-ng's voice variants that sound like people (its robots, croaks and whispers left out)
VARIANTS = (
    "m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "f1", "f2", "f3", "f4", "f5", "adam", "Alex", "Andy",
    "benjamin", "caleb", "david", "ed", "edward", "iven", "john", "max", "michel", "norbert", "paul", "Mike",
    "Alicia", "Andrea", "Annie", "anika", "belinda", "linda", "aunty", "grandma", "grandpa", "klatt", "klatt2",
    "klatt3",
)  # fmt: skip


def espeak() -> str | None:
    return shutil.which("espeak-ng")


def voices(count: int, seed: int = 0) -> list[dict]:
    """``count`` voices: an accent, a variant, a speed (words a minute) and a pitch (0-99), seeded."""
    rng = np.random.default_rng(seed)
    return [
        {
            "accent": ACCENTS[i % len(ACCENTS)],
            "variant": VARIANTS[int(rng.integers(len(VARIANTS)))],
            "speed": int(rng.integers(110, 200)),
            "pitch": int(rng.integers(20, 80)),
        }
        for i in range(count)
    ]


def _say(program: str, word: str, voice: dict, path: str) -> None:
    command = [program, "-v", f"{voice['accent']}+{voice['variant']}", "-s", str(voice["speed"]),
               "-p", str(voice["pitch"]), "-w", path, word]  # fmt: skip
    subprocess.run(command, check=True, capture_output=True, timeout=30)


def _build(program: str, chosen: list[dict], spec: dict):
    from nnzero.datasets.sound_pictures import sound_file_pictures

    print(
        tr(
            "saying the digits in {n} espeak-ng voices for training; only this once, then cached",
            "用 espeak-ng 的 {n} 种声音说出这些数字, 用于训练; 只需这一次, 之后使用缓存",
            n=len(chosen),
        ),
        file=sys.stderr,
        flush=True,
    )
    pictures, labels, names = [], [], []
    with tempfile.TemporaryDirectory(prefix="nnzero-espeak-") as tmp:
        for v, voice in enumerate(chosen):
            for digit, word in enumerate(WORDS):
                path = os.path.join(tmp, f"{v}-{digit}.wav")
                _say(program, word, voice, path)
                found = sound_file_pictures(path, spec)[:1]  # (1, 1, S, S): one word, one picture
                pictures.append(found)
                labels.append(digit)
                names.append(
                    f"espeak/{voice['accent']}+{voice['variant']}-s{voice['speed']}-p{voice['pitch']}/{word}.wav"
                )
    return np.concatenate(pictures), {"labels": labels, "names": names}


def synthetic_digits(count: int, spec: dict, seed: int = 0) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(pictures (count * 10, 1, S, S) uint8, digits (count * 10,), a name for each) of ``count`` voices."""
    program = espeak()
    if program is None:
        raise DataError(
            tr(
                "synthetic voices need espeak-ng (Debian/Ubuntu: apt-get install espeak-ng); or train without "
                "them: --set data.synthetic=0",
                "合成声音需要 espeak-ng (Debian/Ubuntu: apt-get install espeak-ng); 或不用它们训练: "
                "--set data.synthetic=0",
            )
        )
    version = subprocess.run(
        [program, "--version"], capture_output=True, text=True, timeout=30
    ).stdout.strip()
    chosen = voices(count, seed)
    root = user_cache_dir() / "espeak"
    root.mkdir(parents=True, exist_ok=True)
    params = {"espeak": version, "voices": chosen, "words": WORDS, "spec": spec}
    cache = cached_images(root, [], params, lambda: _build(program, chosen, spec), cache_dir=root)
    return cache.images, np.asarray(cache.meta["labels"], np.int64), list(cache.meta["names"])
