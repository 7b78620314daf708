"""adhishthite/sound-mnist's FSDD classifier, re-implemented in PyTorch (the peer of `nnzero train fsdd`).

Source: GitHub repository adhishthite/sound-mnist ("Digit Recognition from Sound", README: 97% test
accuracy on a random 10% of FSDD), files ``utils/wav2mfcc.py`` (features), ``utils/model.py`` (the
network) and ``main.py`` (training). Kept as there:

- features: ``librosa.load(path, mono=True, sr=None)``, then ``wave[::3]`` (every third sample, no
  filter), ``librosa.feature.mfcc(wave, sr=8000)`` (20 coefficients, librosa's defaults: n_fft 2048,
  hop 512, 128 mel bands), zero-padded to 20 frames: a 20x20 "image";
- the network (Keras): Conv2D 32 2x2 ReLU, BatchNorm, Conv2D 48 2x2 ReLU, BatchNorm, Conv2D 120 2x2
  ReLU, BatchNorm, MaxPool 2x2, Dropout 0.25, Flatten, Dense 128 ReLU, BatchNorm, Dropout 0.25,
  Dense 64 ReLU, BatchNorm, Dropout 0.4, Dense 10 softmax; Keras' initialisers (Glorot uniform,
  zero biases) and batch norm (momentum 0.99, epsilon 1e-3);
- Adadelta with Keras 2's defaults (lr 1.0, rho 0.95, epsilon 1e-7), categorical cross-entropy,
  50 epochs of batches of 64, shuffled each epoch; ``validation_split=0.1`` (Keras holds out the last
  10% of the training arrays, unshuffled); the last epoch's weights are tested.

Changed for this benchmark: the split. The repository tests on a random 10% of all recordings
(``train_test_split(test_size=0.1, random_state=1)``), where every test voice was heard in training;
here the same network is scored as nnzero is, on FSDD's convention (takes 0-4 of every speaker) or on a
speaker it never heard (``--split speaker:NAME``: trained on the other speakers' takes 5-49). librosa is
today's (0.11: frames padded with zeros, not reflected as in 2018's 0.6). Seeded (``--seed``).
Prints one JSON line: test accuracy, seconds. ``--split`` may name several splits, comma-separated
(the leave-one-speaker-out folds): the features are then computed once and each split trained in turn,
one JSON line each, its ``seconds`` the training and testing alone.

    python benchmarks/peers/sound_mnist.py --data-dir ../shared/data/fsdd --split takes --seed 0
"""

import time

START = time.perf_counter()

import argparse  # noqa: E402
import json  # noqa: E402
from pathlib import Path  # noqa: E402

import librosa  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402


def wav2mfcc(path, max_pad_len=20):
    wave, sr = librosa.load(path, mono=True, sr=None)
    wave = wave[::3]
    mfcc = librosa.feature.mfcc(y=wave, sr=8000)
    pad_width = max_pad_len - mfcc.shape[1]
    return np.pad(mfcc, pad_width=((0, 0), (0, pad_width)), mode="constant")  # (20, 20)


def keras_bn(n):
    return nn.BatchNorm1d(n, eps=1e-3, momentum=0.01)  # Keras' BatchNormalization (momentum 0.99)


class SoundMnist(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        bn2 = lambda c: nn.BatchNorm2d(c, eps=1e-3, momentum=0.01)  # noqa: E731 - Keras' BatchNormalization
        self.features = nn.Sequential(
            nn.Conv2d(1, 32, 2), nn.ReLU(), bn2(32),
            nn.Conv2d(32, 48, 2), nn.ReLU(), bn2(48),
            nn.Conv2d(48, 120, 2), nn.ReLU(), bn2(120),
            nn.MaxPool2d(2), nn.Dropout(0.25), nn.Flatten(),
        )  # fmt: skip
        self.classifier = nn.Sequential(
            nn.Linear(120 * 8 * 8, 128), nn.ReLU(), keras_bn(128), nn.Dropout(0.25),
            nn.Linear(128, 64), nn.ReLU(), keras_bn(64), nn.Dropout(0.4),
            nn.Linear(64, num_classes),
        )  # fmt: skip
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.xavier_uniform_(m.weight)  # Keras' glorot_uniform
                nn.init.zeros_(m.bias)

    def forward(self, x):  # (N, 1, 20, 20) -> logits (softmax is in the loss)
        return self.classifier(self.features(x))


def split(names: list[str], how: str) -> tuple[list[int], list[int]]:
    """(train, test) indexes: FSDD's convention (takes 0-4 tested) or a held-out speaker."""
    parts = [n[: -len(".wav")].split("_") for n in names]
    if how == "takes":
        test = [i for i, p in enumerate(parts) if int(p[2]) < 5]
        train = [i for i, p in enumerate(parts) if int(p[2]) >= 5]
    else:
        speaker = how.split(":", 1)[1]
        test = [i for i, p in enumerate(parts) if p[1] == speaker]
        train = [i for i, p in enumerate(parts) if p[1] != speaker and int(p[2]) >= 5]
    return train, test


def train_and_test(x, y, names, how: str, seed: int, epochs: int) -> tuple[float, int]:
    """The repository's training (see above) on one split: (test accuracy of the last weights, test clips)."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    train, test = split(names, how)
    train = list(rng.permutation(train))  # the repository's arrays come shuffled (train_test_split)
    keep = train[: int(len(train) * 0.9)]  # Keras' validation_split=0.1: the last 10% are held out
    model = SoundMnist()
    opt = torch.optim.Adadelta(model.parameters(), lr=1.0, rho=0.95, eps=1e-7)
    xt, yt = torch.from_numpy(x[keep]), torch.from_numpy(y[keep])
    for _ in range(epochs):
        model.train()
        for batch in torch.randperm(len(keep)).split(64):
            loss = nn.functional.cross_entropy(model(xt[batch]), yt[batch])
            opt.zero_grad()
            loss.backward()
            opt.step()
    model.eval()
    with torch.no_grad():
        predicted = model(torch.from_numpy(x[test])).argmax(1).numpy()
    return float((predicted == y[test]).mean()), len(test)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--split", default="takes", help="takes, speaker:NAME, or several, comma-separated")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=50)
    args = parser.parse_args()
    folder = Path(args.data_dir) / "recordings"
    names = sorted(p.name for p in folder.glob("*.wav"))
    x = np.stack([wav2mfcc(folder / n) for n in names])[:, None].astype(np.float32)  # (N, 1, 20, 20)
    y = np.array([int(n.split("_")[0]) for n in names])
    features_done = time.perf_counter()
    several = "," in args.split
    for how in args.split.split(","):
        start = time.perf_counter() if several else START
        accuracy, clips = train_and_test(x, y, names, how, args.seed, args.epochs)
        line = {
            "peer": "adhishthite/sound-mnist",
            "split": how,
            "seed": args.seed,
            "test_accuracy": round(accuracy, 6),
            "test_clips": clips,
            "feature_seconds": round(features_done - START, 2),
            "seconds": round(time.perf_counter() - start, 2),
        }
        print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
