"""Reading a sound file safely: any common format, any rate, mixed to mono, bounded, or a clear DataError.

    from nnzero.datasets.audio import read_audio, resample, trim_silence
    samples, rate = read_audio("my_clip.wav")          # float32 (n,), mono, in [-1, 1]; rate in Hz
    samples = resample(samples, rate, 8000)            # what a model trained at 8 kHz needs
    samples = trim_silence(samples, 8000, top_db=40)   # the word, without the silence around it

WAV, FLAC, OGG and MP3 are decoded by libsndfile (the ``soundfile`` wheels bundle it; ``pip install
-e ".[sound]"``). Everything is checked from the header before a sample is decoded: the number of
channels (1 or 2), the sample rate (4-96 kHz) and the length (``max_seconds``), so a 10-minute upload or
a 192 kHz file costs nothing. A WAV whose header promises more samples than the file holds (a cut-off
download) is refused rather than silently shortened. Callers that read many files catch ``DataError``,
report it on its own line and go on.
"""

from __future__ import annotations

import io
import os
import struct
from math import gcd
from pathlib import Path

import numpy as np

from nnzero.errors import DataError
from nnzero.i18n import tr

AUDIO_EXTENSIONS = (".wav", ".flac", ".ogg", ".oga", ".mp3")
MIN_RATE, MAX_RATE = 4_000, 96_000  # Hz: below, no speech survives; above, no ear hears the difference
MAX_CHANNELS = 2  # mono or stereo; mix surround down first (ffmpeg -ac 1)
MAX_SECONDS = 600.0  # the longest file read at all (a long song); the web app passes less
_BLOCK = 1 << 16  # frames decoded at a time: a long file is mixed to mono block by block


def is_audio_file(name: str) -> bool:
    return name.lower().endswith(AUDIO_EXTENSIONS)


def _bad(name: str, en: str, zh: str, **fields) -> DataError:
    return DataError(f"{name}: " + tr(en, zh, **fields))


def _soundfile():
    try:
        import soundfile
    except ImportError:  # the core install has no audio support
        raise DataError(
            tr(
                'reading sound needs soundfile: pip install -e ".[sound]" (or pip install soundfile)',
                '读取声音需要 soundfile: pip install -e ".[sound]" (或 pip install soundfile)',
            )
        ) from None
    return soundfile


def _load_bytes(source, name: str | None, max_bytes: int | None) -> tuple[bytes, str]:
    if isinstance(source, (bytes, bytearray, memoryview)):
        data, name = bytes(source), name or "<upload>"
    else:
        name = name or str(source)
        if os.path.isdir(source):
            raise _bad(name, "is a folder, not a sound file", "是文件夹, 不是声音文件")
        try:
            size = os.stat(source).st_size
            if max_bytes is not None and size > max_bytes:
                raise _too_many_bytes(name, size, max_bytes)
            data = Path(source).read_bytes()
        except FileNotFoundError:
            raise _bad(name, "file not found", "找不到文件") from None
        except OSError as err:
            raise _bad(
                name, "cannot read the file ({err})", "无法读取文件 ({err})", err=err.strerror
            ) from None
    if not data:
        raise _bad(name, "the file is empty (0 bytes); it is not a sound", "文件是空的 (0 字节), 不是声音")
    if max_bytes is not None and len(data) > max_bytes:
        raise _too_many_bytes(name, len(data), max_bytes)
    return data, name


def _too_many_bytes(name: str, size: int, limit: int) -> DataError:
    return _bad(
        name,
        "{size:,} bytes is more than the limit of {limit:,} bytes",
        "{size:,} 字节, 超过上限 {limit:,} 字节",
        size=size,
        limit=limit,
    )


def wav_is_truncated(data: bytes) -> tuple[int, int] | None:
    """(bytes the WAV header promises, bytes present) when a RIFF/WAVE file was cut short, else None."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        return None
    at = 12
    while at + 8 <= len(data):
        chunk, size = data[at : at + 4], struct.unpack("<I", data[at + 4 : at + 8])[0]
        if chunk == b"data":
            present = len(data) - at - 8
            ## 0xFFFFFFFF (or 0) is what a recorder writes while it is still streaming: not a promise
            return (size, present) if present < size and size not in (0, 0xFFFFFFFF) else None
        at += 8 + size + (size & 1)  # chunks are padded to an even length
    return None


def read_audio(
    source: str | Path | bytes,
    *,
    name: str | None = None,
    max_bytes: int | None = None,
    max_seconds: float = MAX_SECONDS,
) -> tuple[np.ndarray, int]:
    """(samples float32 (n,) mono in [-1, 1], sample rate) of a sound file (a path or its bytes), or DataError."""
    sf = _soundfile()
    data, name = _load_bytes(source, name, max_bytes)
    try:
        info = sf.info(io.BytesIO(data))
    except (sf.LibsndfileError, RuntimeError, TypeError) as err:
        raise _bad(
            name,
            "not a sound file nnzero can read (WAV, FLAC, OGG or MP3): {err}",
            "不是 nnzero 能读取的声音文件 (WAV、FLAC、OGG 或 MP3): {err}",
            err=str(err).rsplit(": ", 1)[-1],
        ) from None
    _check_header(name, info.channels, info.samplerate, info.frames, max_seconds)
    truncated = wav_is_truncated(data)
    if truncated:
        raise _bad(
            name,
            "the WAV file is truncated: its header promises {want:,} bytes of samples, the file holds {got:,}",
            "WAV 文件不完整: 文件头声明 {want:,} 字节的采样, 实际只有 {got:,} 字节",
            want=truncated[0],
            got=truncated[1],
        )
    samples = _decode_mono(sf, data, name, info.samplerate, max_seconds)
    if samples.size == 0:
        raise _bad(name, "holds no sound (0 samples)", "其中没有声音 (0 个采样)")
    if not np.isfinite(samples).all():
        raise _bad(
            name, "holds samples that are not numbers (NaN or infinity)", "含有非数值的采样 (NaN 或无穷大)"
        )
    return samples, int(info.samplerate)


def _check_header(name: str, channels: int, rate: int, frames: int, max_seconds: float) -> None:
    if channels > MAX_CHANNELS:
        raise _bad(
            name,
            "{c} channels: nnzero reads mono or stereo sound; mix it down first (e.g. ffmpeg -i IN -ac 1 OUT.wav)",
            "{c} 个声道: nnzero 只读单声道或立体声; 请先混成单声道 (如 ffmpeg -i IN -ac 1 OUT.wav)",
            c=channels,
        )
    if not MIN_RATE <= rate <= MAX_RATE:
        raise _bad(
            name,
            "a sample rate of {r:,} Hz is outside {lo:,}-{hi:,} Hz; resample it first (e.g. ffmpeg -i IN -ar 16000 OUT.wav)",
            "采样率 {r:,} Hz 不在 {lo:,}-{hi:,} Hz 之间; 请先重采样 (如 ffmpeg -i IN -ar 16000 OUT.wav)",
            r=rate,
            lo=MIN_RATE,
            hi=MAX_RATE,
        )
    if frames > max_seconds * rate:
        raise _too_long(name, frames / rate, max_seconds)


def _too_long(name: str, seconds: float, limit: float) -> DataError:
    return _bad(
        name,
        "{s:.1f} seconds is longer than the limit of {limit:g} seconds; cut it shorter first",
        "时长 {s:.1f} 秒, 超过上限 {limit:g} 秒; 请先剪短",
        s=seconds,
        limit=limit,
    )


def _decode_mono(sf, data: bytes, name: str, rate: int, max_seconds: float) -> np.ndarray:
    """Decode block by block, averaging the channels at once: a stereo song never exists twice in memory."""
    parts, frames = [], 0
    try:
        with sf.SoundFile(io.BytesIO(data)) as f:
            for block in f.blocks(blocksize=_BLOCK, dtype="float32", always_2d=True):  # (b, channels)
                parts.append(block.mean(axis=1, dtype=np.float32))  # (b,)
                frames += len(block)
                if frames > max_seconds * rate:  # a header that understated the length
                    raise _too_long(name, frames / rate, max_seconds)
    except (sf.LibsndfileError, RuntimeError) as err:
        raise _bad(
            name,
            "the sound is damaged and cannot be decoded ({err})",
            "声音文件已损坏, 无法解码 ({err})",
            err=err,
        ) from None
    return np.concatenate(parts) if parts else np.zeros(0, np.float32)  # (n,)


def resample(samples: np.ndarray, rate: int, target: int) -> np.ndarray:
    """``samples`` at ``rate`` Hz as they would have been recorded at ``target`` Hz (float32 (m,)).

    ## Going down, frequencies above the new Nyquist limit (target / 2) must be removed first, or they
    ## fold back as false tones (aliasing): resample_poly filters, then keeps 1 of every `down` samples.
    """
    if rate == target:
        return samples.astype(np.float32, copy=False)
    from scipy.signal import resample_poly

    common = gcd(int(rate), int(target))
    return resample_poly(samples, target // common, rate // common).astype(np.float32)  # (m,)


def trim_silence(
    samples: np.ndarray, rate: int, top_db: float = 40.0, frame_seconds: float = 0.032
) -> np.ndarray:
    """The part of ``samples`` between the first and last frame within ``top_db`` of the loudest frame.

    ## A microphone hears the room before and after the word. Frames (32 ms) quieter than the loudest by
    ## more than top_db decibels count as silence; what lies between the first and the last loud frame
    ## is kept. A clip that is silence throughout comes back unchanged (trimming finds nothing to keep).
    """
    frame = max(1, int(round(frame_seconds * rate)))
    hop = max(1, frame // 4)
    if len(samples) <= frame:
        return samples
    starts = np.arange(0, len(samples) - frame + 1, hop)  # (F,)
    windows = np.lib.stride_tricks.sliding_window_view(samples, frame)[starts]  # (F, frame)
    power = (windows.astype(np.float64) ** 2).mean(axis=1)  # (F,)
    if power.max() <= 0:
        return samples
    loud = np.flatnonzero(10 * np.log10(np.maximum(power, 1e-20) / power.max()) > -top_db)  # (k,)
    ## keep from the middle of the first loud frame to the middle of the last, give or take a hop
    return samples[starts[loud[0]] + (frame - hop) // 2 : starts[loud[-1]] + (frame + hop) // 2]


SILENT_DBFS = -60.0  # a clip whose loudest sample is quieter than this holds nothing to hear


def check_audible(samples: np.ndarray, name: str) -> None:
    """DataError when the loudest sample is below SILENT_DBFS (a muted microphone, an empty recording)."""
    peak = float(np.abs(samples).max(initial=0.0))
    if peak < 10 ** (SILENT_DBFS / 20):
        raise _bad(
            name,
            "is silent: its loudest sample is {db} dBFS, below {limit:g} dBFS; nothing to hear",
            "是静音: 最响的采样只有 {db} dBFS, 低于 {limit:g} dBFS; 没有可听的内容",
            db="-inf" if peak == 0 else f"{20 * np.log10(peak):.0f}",
            limit=SILENT_DBFS,
        )


def durations(root, prints) -> list[float]:
    """Seconds of each file of ``prints`` from its header alone (0 for a file that cannot be read)."""
    sf = _soundfile()
    out = []
    for rel, _, _ in prints:
        try:
            info = sf.info(os.path.join(root, rel))
            out.append(info.frames / info.samplerate if info.samplerate else 0.0)
        except (sf.LibsndfileError, RuntimeError, OSError):
            out.append(0.0)
    return out
