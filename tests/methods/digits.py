"""A small real problem for the methods: scikit-learn's 8x8 digits, where the augmentation is a random shift
of up to 2 pixels plus pixel noise, and the evaluation is kNN on randomly shifted images."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from sklearn.datasets import load_digits
from torch import nn


def digits(seed: int = 0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    images, labels = load_digits(return_X_y=True)
    images = torch.tensor(images, dtype=torch.float32).reshape(-1, 1, 8, 8) / 16.0
    labels = torch.tensor(labels)
    order = torch.randperm(len(labels), generator=torch.Generator().manual_seed(seed))
    train, test = order[:1200], order[1200:]
    return images[train], labels[train], images[test], labels[test]


def shift_and_noise(images: torch.Tensor, generator: torch.Generator, max_shift: int = 2, noise: float = 0.1):
    """Batched: pad, then crop every image at its own random offset; add Gaussian noise."""
    n = images.shape[0]
    padded = F.pad(images, (max_shift,) * 4)
    offsets = torch.randint(0, 2 * max_shift + 1, (n, 2), generator=generator)
    rows = offsets[:, 0, None] + torch.arange(8)
    cols = offsets[:, 1, None] + torch.arange(8)
    batch = torch.arange(n)[:, None, None]
    cropped = padded[:, 0][batch, rows[:, :, None], cols[:, None, :]][:, None]
    return cropped + noise * torch.randn(cropped.shape, generator=generator)


def encoder() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
        nn.Conv2d(16, 32, 3, padding=1, stride=2), nn.BatchNorm2d(32), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(),
    )  # fmt: skip


@torch.no_grad()
def knn_accuracy(model: nn.Module, train_x, train_y, test_x, test_y, k: int = 10) -> float:
    model.eval()
    generator = torch.Generator().manual_seed(123)
    train = F.normalize(model(shift_and_noise(train_x, generator)), dim=1)
    test = F.normalize(model(shift_and_noise(test_x, generator)), dim=1)
    neighbours = (test @ train.T).topk(k, dim=1).indices
    predictions = train_y[neighbours].mode(dim=1).values
    model.train()
    return float((predictions == test_y).float().mean())
