"""The image adapter's evaluation: kNN and a linear probe on frozen features, beside two baselines.

Features of the un-augmented training and test images are the encoder's pooled outputs. The report's model
column is the trained encoder; its baselines are the same architecture at random initialisation and, for the
kNN, the raw pixels (flattened, each image minus its own mean: the protocol of the CIFAR-10 data's cosine
1-NN floor, and 3 points stronger under this kNN than centring on the training mean) — the floor any
representation should beat. Rows:

- ``knn_top1``: weighted kNN, ``k = 200``, temperature 0.1 (InstDisc; lightly's CIFAR-10 benchmarks);
- ``linear_top1``: logistic regression (full-batch L-BFGS in torch, on the features' device) with ``C`` chosen
  on a held-out 10 % of the training split — the core's large-data path, used at every size here: scikit-learn's
  5-fold search took over 15 minutes on 5,000 CIFAR-10 images on two busy CPU cores.

Example:
    >>> report = image_evaluation(encoder, random_init, train_images, test_images, device)  # doctest: +SKIP
    >>> print(report.format_table())  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence

import datasets
import torch
from torch import nn

from mmcl.adapters.image.decoded_images import DecodedImages
from mmcl.evaluation import EvaluationReport, fit_linear_probe, knn_accuracy
from mmcl.evaluation.knn import DEFAULT_K

MODEL_NAME = "trained encoder"
RANDOM_INIT = "random init"
RAW_PIXELS = "raw pixels"

ImageSplit = DecodedImages | datasets.IterableDataset
"""A split in memory, or a stream of ``{"pixels": (3, S, S) uint8, "label": int}``."""


def image_evaluation(
    encoder: nn.Module,
    random_init: nn.Module,
    train: ImageSplit,
    test: ImageSplit,
    device: torch.device,
    *,
    k: int = DEFAULT_K,
    temperature: float = 0.1,
    linear_probe: bool = True,
    c_grid: Sequence[float] | None = None,
    batch_size: int = 512,
) -> EvaluationReport:
    """kNN (and linear-probe) accuracy of ``encoder`` on ``test``, trained on ``train``'s labels, beside
    ``random_init`` and the raw pixels. ``k`` is capped at the number of training images.

    Raises:
        ValueError: a split has no labels, or a single class.
    """
    train_pixels, train_labels = _gathered(train, "train")
    test_pixels, test_labels = _gathered(test, "test")
    k = min(k, train_labels.shape[0])
    features = {
        name: (
            embed_pixels(model, train_pixels, device, batch_size),
            embed_pixels(model, test_pixels, device, batch_size),
        )
        for name, model in (("model", encoder), ("random", random_init))
    }
    report = EvaluationReport(model_name=MODEL_NAME, baselines=(RANDOM_INIT, RAW_PIXELS))
    knn = {
        name: knn_accuracy(train_x, train_labels, test_x, test_labels, k=k, temperature=temperature)
        for name, (train_x, test_x) in features.items()
    }
    raw_train, raw_test = raw_pixel_features(train_pixels), raw_pixel_features(test_pixels)
    raw = knn_accuracy(raw_train, train_labels, raw_test, test_labels, k=k, temperature=temperature)
    report.add("knn_top1", model=knn["model"], baseline={RANDOM_INIT: knn["random"], RAW_PIXELS: raw})
    if linear_probe:
        probe_options = {"c_grid": c_grid} if c_grid is not None else {}
        linear = {
            name: fit_linear_probe(
                train_x, train_labels, test_x, test_labels, torch_threshold=0, **probe_options
            ).accuracy
            for name, (train_x, test_x) in features.items()
        }
        report.add("linear_top1", model=linear["model"], baseline={RANDOM_INIT: linear["random"]})
    return report


@torch.no_grad()
def embed_pixels(
    encoder: nn.Module, pixels: torch.Tensor, device: torch.device, batch_size: int = 512
) -> torch.Tensor:
    """``(N, D)`` float32 CPU features of uint8 ``(N, 3, S, S)`` images, ``batch_size`` at a time on ``device``."""
    was_training = encoder.training
    encoder.eval()
    chunks = [
        encoder(pixels[start : start + batch_size].to(device).float().div_(255.0)).float().cpu()
        for start in range(0, pixels.shape[0], batch_size)
    ]
    encoder.train(was_training)
    return torch.cat(chunks)


def _gathered(split: ImageSplit, name: str) -> tuple[torch.Tensor, torch.Tensor]:
    """The split's uint8 pixels and labels, in memory (a stream is read once)."""
    if isinstance(split, DecodedImages):
        pixels, labels = split.pixels, split.labels
    else:
        rows = list(split)
        pixels = torch.stack([torch.as_tensor(row["pixels"]) for row in rows])
        labels = torch.tensor([int(row["label"]) for row in rows])
        labels = None if bool((labels < 0).any()) else labels
    if labels is None:
        raise ValueError(
            f"the {name} split has no labels (images directly in the folder); the evaluation needs class "
            "sub-folders or a label column, or set adapter.evaluation=none"
        )
    return pixels, labels


def raw_pixel_features(pixels: torch.Tensor) -> torch.Tensor:
    """The raw-pixel baseline's features: each image flattened, minus its own mean (brightness removed).

    Example:
        >>> raw_pixel_features(torch.full((2, 3, 4, 4), 7, dtype=torch.uint8)).abs().max().item()
        0.0
    """
    flat = pixels.flatten(1).float()
    return flat - flat.mean(dim=1, keepdim=True)
