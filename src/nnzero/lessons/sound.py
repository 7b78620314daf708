"""A sound is a picture too: a wave, its spectrogram, its mel spectrogram and the picture a network hears.

nnzero lesson sound                                   # a synthesised vowel glide, "ai" as in "five", "nine"
nnzero lesson sound --file data/fsdd/recordings/7_jackson_32.wav   # any recording (pip install -e ".[sound]")
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nnzero.datasets import spectrogram as sg
from nnzero.figures import plt
from nnzero.i18n import tr
from nnzero.lessons._figure import labeler

RATE = 8000  # Hz: FSDD's rate, enough for speech (it keeps frequencies up to 4 kHz)
N_FFT = 256  # samples in a frame: 32 ms at 8 kHz
HOP = 80  # samples from one frame to the next: 10 ms
N_MELS = 32  # bands, and the picture's side


def vowel_glide(seconds: float = 0.6, rate: int = RATE, pitch: float = 120.0) -> np.ndarray:
    """A voice saying "ai" (the vowel of "five" and "nine"), made in NumPy: float (n,) in [-1, 1].

    ## A voice is a buzz (the vocal folds, here 120 pulses a second: harmonics at 120, 240, 360 Hz ...)
    ## shaped by the mouth, whose resonances (formants) pass some harmonics and damp others. Moving from
    ## "a" (formants near 750 and 1,200 Hz) to "i" (near 300 and 2,300 Hz) moves the bright bands.
    """
    t = np.arange(int(seconds * rate)) / rate  # (n,)
    glide = np.clip((t - 0.15) / (seconds - 0.3), 0, 1)  # (n,) 0 = "a", 1 = "i"
    formants = [(750 + (300 - 750) * glide, 90.0), (1200 + (2300 - 1200) * glide, 110.0), (2500.0, 160.0)]
    wave = np.zeros_like(t)
    for k in range(1, int(rate / 2 / pitch)):
        f = k * pitch  # harmonic k of the buzz
        gain = sum(1 / (1 + ((f - centre) / width) ** 2) for centre, width in formants)  # resonances
        wave += gain / k * np.sin(2 * np.pi * f * t)
    envelope = np.minimum(1, np.minimum(t, t[-1] - t) / 0.05)  # fade in and out over 50 ms
    return (0.9 * wave * envelope / np.abs(wave * envelope).max()).astype(np.float64)


@dataclass
class SoundResult:
    source: str
    samples: np.ndarray  # (n,) at RATE
    power: np.ndarray  # (K, F) |FFT|^2 of each frame
    mel: np.ndarray  # (N_MELS, F) power in each mel band
    db: np.ndarray  # (N_MELS, F) decibels, max 0
    filters: np.ndarray  # (N_MELS, K)
    picture: np.ndarray  # (N_MELS, N_MELS) uint8: what a sound model trained on FSDD hears
    frame: int  # the loudest frame, worked through


def compute(file: str | Path | None = None) -> SoundResult:
    if file is None:
        samples, source = vowel_glide(), tr("a synthesised vowel glide 'ai'", "合成的元音滑动 'ai'")
    else:
        from nnzero.datasets.audio import read_audio, resample

        raw, rate = read_audio(file)
        samples, source = resample(raw, rate, RATE).astype(np.float64), str(file)
    framed = sg.frames(samples, N_FFT, HOP)  # (F, N_FFT)
    power = sg.power_spectrum(framed * sg.hann(N_FFT)).T  # (K, F)
    filters = sg.mel_filters(RATE, N_FFT, N_MELS)  # (N_MELS, K)
    mel = filters @ power  # (N_MELS, F)
    from nnzero.datasets.sound_pictures import clip_pictures

    picture = clip_pictures(samples, RATE, _fsdd_spec())[0, 0]
    return SoundResult(
        source, samples, power, mel, sg.to_db(mel), filters, picture, int(power.sum(0).argmax())
    )


def _fsdd_spec() -> dict:
    """The picture recipe of `nnzero train fsdd`, so the lesson shows exactly what that network hears."""
    from nnzero.datasets.sound_pictures import sound_spec
    from nnzero.datasets.sounds import DEFAULTS

    return sound_spec(**DEFAULTS["fsdd"])


def explain(r: SoundResult) -> list[str]:
    n, frames, spec = len(r.samples), r.power.shape[1], _fsdd_spec()
    column = r.power[:, r.frame]  # (K,)
    peak_bin = int(column.argmax())
    band = int(r.mel[:, r.frame].argmax())
    edges = sg.mel_to_hz(np.linspace(0, sg.hz_to_mel(RATE / 2), N_MELS + 2))
    return [
        tr(
            "{s}: {n:,} samples at {r:,} Hz = {d:.3f} s",
            "{s}: {n:,} 个采样, 采样率 {r:,} Hz = {d:.3f} 秒",
            s=r.source,
            n=n,
            r=RATE,
            d=n / RATE,
        ),  # fmt: skip
        tr(
            "1 framing: frames of {f} samples ({ms:.0f} ms), one every {h} ({hs:.0f} ms): {n} frames",
            "1 分帧: 每帧 {f} 个采样 ({ms:.0f} 毫秒), 每隔 {h} 个采样 ({hs:.0f} 毫秒) 一帧: 共 {n} 帧",
            f=N_FFT,
            ms=1000 * N_FFT / RATE,
            h=HOP,
            hs=1000 * HOP / RATE,
            n=frames,
        ),  # fmt: skip
        tr(
            "2 window: each frame times a Hann window (0 at the ends, 1 in the middle), so its edges are not sudden",
            "2 加窗: 每帧乘以 Hann 窗 (两端为 0, 中间为 1), 帧的边缘不再突变",
        ),
        tr(
            "3 FFT: {k} frequencies per frame, 0 to {ny:,} Hz in steps of {step:.2f} Hz; in the loudest frame "
            "({t:.2f} s) the strongest is {f:.0f} Hz",
            "3 FFT: 每帧 {k} 个频率, 从 0 到 {ny:,} Hz, 间隔 {step:.2f} Hz; 最响的一帧 ({t:.2f} 秒) 中最强的是 {f:.0f} Hz",
            k=len(column),
            ny=RATE // 2,
            step=RATE / N_FFT,
            t=r.frame * HOP / RATE,
            f=peak_bin * RATE / N_FFT,
        ),  # fmt: skip
        tr(
            "4 mel bands: {k} frequencies summed into {m} triangles: the lowest {lo:.0f} Hz wide, the highest "
            "{hi:.0f} Hz wide (the ear's resolution); the loudest band there is {b} ({c:.0f} Hz)",
            "4 梅尔频带: {k} 个频率汇总成 {m} 个三角形: 最低的宽 {lo:.0f} Hz, 最高的宽 {hi:.0f} Hz "
            "(人耳的分辨率); 那一帧最响的是第 {b} 个频带 ({c:.0f} Hz)",
            k=len(column),
            m=N_MELS,
            lo=edges[2] - edges[0],
            hi=edges[-1] - edges[-3],
            b=band,
            c=edges[band + 1],
        ),  # fmt: skip
        tr(
            "5 log: 10·log10(power / loudest) decibels, floored at -80 dB: from {lo:.1f} to 0 dB",
            "5 取对数: 10·log10(功率 / 最大功率) 分贝, 下限 -80 dB: 从 {lo:.1f} 到 0 dB",
            lo=float(r.db.min()),
        ),
        tr(
            "the network hears a {s}x{s} grey picture: the sound trimmed, in a {sec} s window, each of its {s} "
            "moments the average of the frames in its {ms:.0f} ms, 0 = -80 dB, 255 = 0 dB",
            "网络听到的是一张 {s}x{s} 的灰度图: 去掉首尾静音, 放进 {sec} 秒的窗口, {s} 个时刻各是其 {ms:.0f} 毫秒内"
            "各帧的平均, 0 = -80 dB, 255 = 0 dB",
            s=spec["size"],
            sec=spec["seconds"],
            ms=1000 * spec["seconds"] / (spec["size"] - 1),
        ),
    ]


def key_numbers(r: SoundResult) -> dict:
    column = r.power[:, r.frame]
    return {
        "source": r.source,
        "rate": RATE,
        "samples": len(r.samples),
        "frames": int(r.power.shape[1]),
        "fft_bins": int(len(column)),
        "mel_bands": N_MELS,
        "loudest_frame": r.frame,
        "peak_hz": round(float(column.argmax() * RATE / N_FFT), 2),
        "db_min": round(float(r.db.min()), 3),
        "picture": list(r.picture.shape),
    }


def figure(r: SoundResult, zh: bool):
    t = labeler(zh)
    fig, axes = plt.subplots(2, 2, figsize=(12, 8), layout="constrained")
    seconds = np.arange(len(r.samples)) / RATE
    axes[0, 0].plot(seconds, r.samples, lw=0.6)
    axes[0, 0].set(title=t("the wave: air pressure over time", "波形: 随时间变化的气压"),
                   xlabel=t("seconds", "秒"), ylabel=t("amplitude", "振幅"))  # fmt: skip
    end = r.power.shape[1] * HOP / RATE
    db = 10 * np.log10(np.maximum(r.power / r.power.max(), 1e-8))
    axes[0, 1].imshow(db, origin="lower", aspect="auto", cmap="magma", extent=(0, end, 0, RATE / 2), vmin=-80)
    axes[0, 1].set(title=t("spectrogram: |FFT|² of each frame (dB)", "频谱图: 每帧的 |FFT|² (分贝)"),
                   xlabel=t("seconds", "秒"), ylabel="Hz")  # fmt: skip
    bins = np.linspace(0, RATE / 2, r.filters.shape[1])
    axes[1, 0].plot(bins, r.filters.T, lw=0.8)
    axes[1, 0].set(title=t("the mel filter bank: 32 triangles", "梅尔滤波器组: 32 个三角形"),
                   xlabel="Hz", ylabel=t("weight", "权重"))  # fmt: skip
    shown = axes[1, 1].imshow(r.picture, cmap="gray", vmin=0, vmax=255)
    axes[1, 1].set(title=t("log-mel picture the network hears (32x32)", "网络听到的对数梅尔图 (32x32)"),
                   xlabel=t("moment", "时刻"), ylabel=t("mel band (low at the bottom)", "梅尔频带 (低频在下)"))  # fmt: skip
    fig.colorbar(
        shown, ax=axes[1, 1], shrink=0.8, label=t("0 = -80 dB, 255 = 0 dB", "0 = -80 dB, 255 = 0 dB")
    )
    fig.suptitle(t("a sound is a picture too", "声音也是一张图"))
    return fig
