"""A committee of three small networks: where they agree, where they disagree, and the vote.

nnzero lesson committee

Three MLPs written by hand (the NumPy engine, ``nnzero.scratch``) learn the same 20,000 MNIST digits,
each from its own random start and its own order of batches, for two epochs (a few seconds). They
are then tested on the same 2,000 test digits: their mistakes overlap only in part, and averaging
their probabilities corrects many of the images one of them gets wrong.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from nnzero.figures import plt
from nnzero.i18n import tr
from nnzero.lessons._figure import labeler
from nnzero.lessons._text import cell

SEEDS = (1, 2, 3)
NAMES = ("A", "B", "C")
TRAIN, TEST, HIDDEN, EPOCHS, LR = 20_000, 2_000, 32, 2, 2e-3


@dataclass
class CommitteeResult:
    seeds: tuple[int, ...]
    labels: np.ndarray  # (N,) the test digits' true classes
    images: np.ndarray  # (N, 28, 28) uint8
    probs: np.ndarray  # (3, N, 10) each network's probabilities
    mean: np.ndarray  # (N, 10) the committee's: their average
    wrong: np.ndarray  # (3, N) bool: network k got image n wrong
    vote: np.ndarray  # (N,) majority vote of the three answers (ties: the committee's)

    @property
    def accuracies(self) -> list[float]:
        return [float(1 - w.mean()) for w in self.wrong]

    @property
    def committee_wrong(self) -> np.ndarray:  # (N,)
        return self.mean.argmax(1) != self.labels

    def wrong_by(self, count: int) -> np.ndarray:
        """The images exactly ``count`` of the three networks got wrong."""
        return np.flatnonzero(self.wrong.sum(0) == count)


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(1, keepdims=True))
    return e / e.sum(1, keepdims=True)


def _train_one(seed: int, x: np.ndarray, y: np.ndarray, x_test: np.ndarray) -> np.ndarray:
    """A 784-32-10 MLP, Adam, two epochs from ``seed``; its probabilities (N, 10) on ``x_test``."""
    from nnzero.scratch import Adam, SoftmaxCrossEntropy, build, train_epoch

    ## Different seeds: different starting weights and a different order of batches. Nothing else differs.
    net = build("mlp", seed=seed, hidden=(HIDDEN,))
    loss_fn, opt, rng = SoftmaxCrossEntropy(), Adam(net.parameters(), lr=LR), np.random.default_rng(seed)
    for _ in range(EPOCHS):
        train_epoch(net, loss_fn, opt, x, y, 64, rng)
    net.eval()
    return _softmax(net.forward(x_test).astype(np.float64))  # (N, 10)


@functools.lru_cache(maxsize=2)
def compute(seeds=SEEDS) -> CommitteeResult:
    """Train the three networks and test them (the same numbers every time: kept for this process)."""
    from nnzero.datasets.mnist import load_arrays
    from nnzero.scratch import normalise

    (images, labels), (test_images, test_labels) = load_arrays("train"), load_arrays("test")
    x, y = normalise(images[:TRAIN], 0.1307, 0.3081), labels[:TRAIN].astype(np.int64)
    x_test = normalise(test_images[:TEST], 0.1307, 0.3081)
    y_test = test_labels[:TEST].astype(np.int64)
    probs = np.stack([_train_one(s, x, y, x_test) for s in seeds])  # (3, N, 10)
    ## The committee's answer: the average of the three probability vectors, then the largest.
    mean = probs.mean(0)  # (N, 10)
    answers = probs.argmax(2)  # (3, N)
    vote = mean.argmax(1).copy()
    for n in range(len(vote)):
        values, counts = np.unique(answers[:, n], return_counts=True)
        if counts.max() >= 2:  # two of three agree: their answer
            vote[n] = values[counts.argmax()]
    wrong = answers != y_test  # (3, N)
    return CommitteeResult(tuple(seeds), y_test, test_images[:TEST], probs, mean, wrong, vote)


def examples(r: CommitteeResult, k: int = 8) -> list[int]:
    """Images the networks disagree on: those the committee rescued first, then those it lost."""
    split = np.flatnonzero((r.wrong.sum(0) > 0) & (r.wrong.sum(0) < len(r.wrong)))
    rescued = [int(i) for i in split if not r.committee_wrong[i]]
    lost = [int(i) for i in split if r.committee_wrong[i]]
    return (rescued[: k - 2] + lost[:2])[:k] if lost else rescued[:k]


def explain(r: CommitteeResult) -> list[str]:
    n, split = len(r.labels), np.concatenate([r.wrong_by(1), r.wrong_by(2)])
    lost = int(r.committee_wrong[split].sum())
    lines = [
        tr(
            "Three 784-{h}-10 networks, the same {t:,} training digits, {e} epochs, seeds {s}; tested on {n:,} digits:",
            "三个 784-{h}-10 网络, 同样的 {t:,} 张训练图像, {e} 轮, 随机种子 {s}; 在 {n:,} 张测试图像上:",
            h=HIDDEN,
            t=TRAIN,
            e=EPOCHS,
            s=", ".join(map(str, r.seeds)),
            n=n,
        ),  # fmt: skip
    ]
    for name, acc, wrong in zip(NAMES, r.accuracies, r.wrong, strict=True):
        lines.append(
            f"  {cell(tr('network', '网络'), 8, left=True)}{name}: {acc:.4f}  ({int(wrong.sum())} "
            + tr("wrong)", "张错)")
        )
    committee = int(r.committee_wrong.sum())
    vote = int((r.vote != r.labels).sum())
    lines += [
        tr("  committee (average of the probabilities): {a:.4f}  ({w} wrong)", "  委员会 (概率取平均): {a:.4f}  ({w} 张错)",
           a=1 - committee / n, w=committee),
        tr("  majority vote (two of three): {a:.4f}  ({w} wrong)", "  多数投票 (三个中两个同意): {a:.4f}  ({w} 张错)",
           a=1 - vote / n, w=vote),
        "",
        tr("Who got which image wrong:", "哪些图像被谁分错:"),
        tr("  all three right: {k:,}", "  三个都对: {k:,}", k=r.wrong_by(0).size),
        tr("  one wrong: {k}; two wrong: {j}; all three wrong: {a}", "  一个错: {k}; 两个错: {j}; 三个都错: {a}",
           k=r.wrong_by(1).size, j=r.wrong_by(2).size, a=r.wrong_by(3).size),
        tr(
            "They disagree on {s} images; the average gets {g} of them right and {b} wrong. "
            "No vote can fix the {a} images all three get wrong.",
            "它们在 {s} 张图像上意见不一; 取平均后答对 {g} 张, 答错 {b} 张。三个都错的 {a} 张, 怎么投票也救不回来。",
            s=split.size, g=split.size - lost, b=lost, a=r.wrong_by(3).size,
        ),
    ]  # fmt: skip
    i = examples(r, 1)[0]
    lines += [
        "",
        tr(
            "One image they disagree on (test #{i}, a {y}):",
            "一张意见不一的图像 (测试图像 #{i}, 真实是 {y}):",
            i=i,
            y=r.labels[i],
        ),
    ]
    for name, p in zip(NAMES, r.probs[:, i], strict=True):
        top = np.argsort(-p)[:2]
        lines.append(f"  {name}: " + ", ".join(f"p({c}) = {p[c]:.3f}" for c in top))
    top = np.argsort(-r.mean[i])[:2]
    lines.append(tr("  average: ", "  平均: ") + ", ".join(f"p({c}) = {r.mean[i, c]:.3f}" for c in top)
                 + tr(" -> {a}", " -> {a}", a=int(top[0])))  # fmt: skip
    return lines


def key_numbers(r: CommitteeResult) -> dict:
    return {
        "seeds": list(r.seeds),
        "accuracies": [round(a, 4) for a in r.accuracies],
        "committee_accuracy": round(float(1 - r.committee_wrong.mean()), 4),
        "vote_accuracy": round(float((r.vote == r.labels).mean()), 4),
        "wrong_by": {str(k): int(r.wrong_by(k).size) for k in range(len(r.wrong) + 1)},
        "examples": examples(r),
    }


def figure(r: CommitteeResult, zh: bool):
    t = labeler(zh)
    fig = plt.figure(figsize=(14, 6.4))
    grid = fig.add_gridspec(2, 8, height_ratios=[1.5, 1])
    bars = fig.add_subplot(grid[0, :4])
    names = [t(f"network {n}", f"网络 {n}") for n in NAMES] + [t("average", "平均"), t("vote", "投票")]
    errors = [int(w.sum()) for w in r.wrong] + [int(r.committee_wrong.sum()), int((r.vote != r.labels).sum())]
    bars.bar(names, errors, color=["tab:blue"] * 3 + ["tab:green", "tab:olive"])
    for k, e in enumerate(errors):
        bars.text(k, e, str(e), ha="center", va="bottom")
    bars.set_title(t(f"mistakes on {len(r.labels):,} test digits", f"{len(r.labels):,} 张测试图像上的错误数"))
    who = fig.add_subplot(grid[0, 4:])
    groups = [(k,) for k in range(3)] + [(0, 1), (0, 2), (1, 2), (0, 1, 2)]
    counts = [len(_only(r, g)) for g in groups]
    labels = ["+".join(NAMES[k] for k in g) for g in groups]
    fixed = [int(sum(1 for i in _only(r, g) if not r.committee_wrong[i])) for g in groups]
    who.bar(labels, counts, color="tab:red", label=t("wrong", "错"))
    who.bar(labels, fixed, color="tab:green", label=t("... the average gets right", "... 取平均后答对"))
    who.set_title(t("images wrong for exactly these networks", "恰好被这些网络分错的图像"))
    who.legend()
    for k, i in enumerate(examples(r)):
        ax = fig.add_subplot(grid[1, k])
        ax.imshow(r.images[i], cmap="gray_r")
        ax.axis("off")
        answers = " ".join(f"{n}:{a}" for n, a in zip(NAMES, r.probs[:, i].argmax(1), strict=True))
        mark = "✓" if not r.committee_wrong[i] else "✗"
        ax.set_title(f"#{i} ({r.labels[i]})\n{answers}\n→ {r.mean[i].argmax()} {mark}", fontsize=8)
    fig.tight_layout()
    return fig


def _only(r: CommitteeResult, group: tuple[int, ...]) -> np.ndarray:
    """The images wrong for exactly the networks in ``group``."""
    mask = np.all(r.wrong[list(group)], 0) & (r.wrong.sum(0) == len(group))
    return np.flatnonzero(mask)
