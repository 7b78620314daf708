"""pytorch/examples ``mnist/main.py``: its network and schedule as one CPU process, on the local IDX files.

Source: GitHub repository pytorch/examples, file ``mnist/main.py``. Kept as there:

- Net: conv 1->32 3x3, ReLU, conv 32->64 3x3, ReLU, max-pool 2, dropout 0.25, flatten (9216),
  fc 9216->128, ReLU, dropout 0.5, fc 128->10, log_softmax; nll_loss;
- ToTensor and Normalize((0.1307,), (0.3081,)); a DataLoader over the training set with
  batch 64, shuffled each epoch; test batch 1000;
- Adadelta lr 1.0, StepLR(step_size=1, gamma=0.7) stepped after each epoch; the test set
  evaluated after every epoch; torch.manual_seed(seed), seed 1 by default.

Changed for this benchmark: the images come from the IDX files (nnzero's shipped copy, see
_idx.py) through a TensorDataset instead of torchvision's MNIST class (which would download
them and decode each image through PIL), and --epochs defaults to 3 (the example's help
says 14; the benchmark measures 3 epochs, as issue 12 did). Prints one JSON line.

    python benchmarks/peers/pytorch_examples_mnist.py --epochs 3
"""

import time

START = time.perf_counter()

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402
import torch.optim as optim  # noqa: E402
from torch.optim.lr_scheduler import StepLR  # noqa: E402
from torch.utils.data import DataLoader, TensorDataset  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _idx  # noqa: E402


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.dropout1 = nn.Dropout(0.25)
        self.dropout2 = nn.Dropout(0.5)
        self.fc1 = nn.Linear(9216, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = self.conv1(x)
        x = F.relu(x)
        x = self.conv2(x)
        x = F.relu(x)
        x = F.max_pool2d(x, 2)
        x = self.dropout1(x)
        x = torch.flatten(x, 1)
        x = self.fc1(x)
        x = F.relu(x)
        x = self.dropout2(x)
        x = self.fc2(x)
        return F.log_softmax(x, dim=1)


def dataset(split: str) -> TensorDataset:
    """ToTensor + Normalize((0.1307,), (0.3081,)) of every image, as torchvision's transform does."""
    images, labels = _idx.load(split)
    x = torch.from_numpy(images.astype(np.float32) / 255).unsqueeze(1)  # (N, 1, 28, 28)
    return TensorDataset((x - 0.1307) / 0.3081, torch.from_numpy(labels))


def train(model, train_loader, optimizer):
    model.train()
    for data, target in train_loader:
        optimizer.zero_grad()
        output = model(data)
        loss = F.nll_loss(output, target)
        loss.backward()
        optimizer.step()


def test(model, test_loader) -> float:
    model.eval()
    correct = 0
    with torch.no_grad():
        for data, target in test_loader:
            pred = model(data).argmax(dim=1, keepdim=True)
            correct += pred.eq(target.view_as(pred)).sum().item()
    return correct / len(test_loader.dataset)


def main() -> None:
    parser = argparse.ArgumentParser(description="pytorch/examples mnist/main.py on the CPU")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--test-batch-size", type=int, default=1000)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--lr", type=float, default=1.0)
    parser.add_argument("--gamma", type=float, default=0.7)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    train_loader = DataLoader(dataset("train"), batch_size=args.batch_size, shuffle=True)
    test_loader = DataLoader(dataset("test"), batch_size=args.test_batch_size)
    model = Net()
    optimizer = optim.Adadelta(model.parameters(), lr=args.lr)
    scheduler = StepLR(optimizer, step_size=1, gamma=args.gamma)
    t0 = time.perf_counter()
    accuracies = []
    for _ in range(args.epochs):
        train(model, train_loader, optimizer)
        accuracies.append(round(test(model, test_loader), 4))
        scheduler.step()
    result = {
        "program": "pytorch/examples mnist/main.py (CPU)",
        "seed": args.seed,
        "epochs": args.epochs,
        "test_accuracy": accuracies[-1] if accuracies else None,
        "test_accuracy_per_epoch": accuracies,
        "train_seconds": round(time.perf_counter() - t0, 2),
        "process_seconds": round(time.perf_counter() - START, 2),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
