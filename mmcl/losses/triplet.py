"""Triplet margin loss, given triplets or mined from labels (batch-all, batch-hard, semi-hard).

References:
    Schroff et al., "FaceNet: A Unified Embedding for Face Recognition and Clustering", CVPR 2015 (semi-hard).
    Hermans et al., "In Defense of the Triplet Loss for Person Re-Identification", 2017 (batch-all/-hard).
"""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

from mmcl.losses.precision import at_least_float32
from mmcl.losses.validation import check_embeddings, check_labels, check_same_shape, raise_if_not_finite

Distance = Literal["cosine", "euclidean"]
Mining = Literal["batch_all", "batch_hard", "semi_hard"]
_SQUARED_EPS = 1e-12


def _check_margin_and_distance(margin: float, distance: str) -> None:
    if not isinstance(margin, (int, float)) or margin < 0:
        raise ValueError(f"margin must be a number >= 0, got {margin!r}")
    if distance not in ("cosine", "euclidean"):
        raise ValueError(f"distance must be 'cosine' or 'euclidean', got {distance!r}")


def paired_distance(a: torch.Tensor, b: torch.Tensor, distance: Distance) -> torch.Tensor:
    """Distance between row i of ``a`` and row i of ``b`` (float32)."""
    a, b = at_least_float32(a), at_least_float32(b)
    if distance == "cosine":
        return 1 - F.cosine_similarity(a, b, dim=-1)
    # clamp before sqrt: its gradient at 0 would be infinite.
    return (a - b).pow(2).sum(-1).clamp_min(_SQUARED_EPS).sqrt()


def pairwise_distance(x: torch.Tensor, distance: Distance) -> torch.Tensor:
    """``(N, N)`` distances between all rows of ``x`` (float32)."""
    x = at_least_float32(x)
    if distance == "cosine":
        normalized = F.normalize(x, dim=-1)
        return 1 - normalized @ normalized.T
    squared_norms = x.pow(2).sum(-1)
    squared = squared_norms[:, None] + squared_norms[None, :] - 2 * x @ x.T
    return squared.clamp_min(_SQUARED_EPS).sqrt()


def triplet_loss(
    anchor: torch.Tensor,
    positive: torch.Tensor,
    negative: torch.Tensor,
    *,
    margin: float = 0.2,
    distance: Distance = "cosine",
) -> torch.Tensor:
    """Mean of ``max(0, d(anchor, positive) - d(anchor, negative) + margin)`` over rows.

    Example:
        >>> a, p, n = torch.randn(3, 16, 32).unbind()
        >>> loss = triplet_loss(a, p, n, margin=0.2, distance="cosine")
    """
    _check_margin_and_distance(margin, distance)
    for name, x in (("anchor", anchor), ("positive", positive), ("negative", negative)):
        check_embeddings(name, x)
    check_same_shape("anchor", anchor, "positive", positive)
    check_same_shape("anchor", anchor, "negative", negative)
    with torch.autocast(device_type=anchor.device.type, enabled=False):
        losses = F.relu(
            paired_distance(anchor, positive, distance) - paired_distance(anchor, negative, distance) + margin
        )
    return raise_if_not_finite(losses.mean(), anchor=anchor, positive=positive, negative=negative)


def mined_triplet_loss(
    embeddings: torch.Tensor,
    labels: torch.Tensor,
    *,
    margin: float = 0.2,
    mining: Mining = "batch_hard",
    distance: Distance = "cosine",
) -> torch.Tensor:
    """Triplet loss over triplets mined from a labelled batch.

    - ``batch_all``: every valid (anchor, positive, negative); mean over the triplets with a positive loss.
    - ``batch_hard``: per anchor, its farthest positive and closest negative; mean over anchors that have both.
    - ``semi_hard``: per (anchor, positive) pair, the closest negative farther than the positive (FaceNet);
      the farthest negative when there is none, as TensorFlow Addons does; mean over pairs.

    A batch without any valid triplet gives a zero loss that is still connected to the graph.

    Example:
        >>> x, y = torch.randn(32, 16), torch.randint(0, 4, (32,))
        >>> loss = mined_triplet_loss(x, y, mining="semi_hard")
    """
    _check_margin_and_distance(margin, distance)
    check_embeddings("embeddings", embeddings)
    check_labels("labels", labels, embeddings.shape[0], embeddings.device)
    if mining not in ("batch_all", "batch_hard", "semi_hard"):
        raise ValueError(f"mining must be 'batch_all', 'batch_hard' or 'semi_hard', got {mining!r}")
    with torch.autocast(device_type=embeddings.device.type, enabled=False):
        distances = pairwise_distance(embeddings, distance)
        same = labels[:, None] == labels[None, :]
        not_self = ~torch.eye(labels.shape[0], dtype=torch.bool, device=labels.device)
        positive_pairs = same & not_self
        negative_pairs = ~same
        if mining == "batch_all":
            losses = distances[:, :, None] - distances[:, None, :] + margin
            valid = positive_pairs[:, :, None] & negative_pairs[:, None, :]
            losses = F.relu(torch.where(valid, losses, 0.0))
            active = losses > 0
            loss = losses.sum() / active.sum().clamp_min(1)
        elif mining == "batch_hard":
            hardest_positive = torch.where(positive_pairs, distances, float("-inf")).amax(1)
            hardest_negative = torch.where(negative_pairs, distances, float("inf")).amin(1)
            valid = positive_pairs.any(1) & negative_pairs.any(1)
            losses = F.relu(hardest_positive - hardest_negative + margin)
            loss = torch.where(valid, losses, 0.0).sum() / valid.sum().clamp_min(1)
        else:
            d_ap = distances[:, :, None]
            d_an = distances[:, None, :]
            farther = negative_pairs[:, None, :] & (d_an > d_ap)
            closest_farther = torch.where(farther, d_an, float("inf")).amin(2)
            farthest = torch.where(negative_pairs, distances, float("-inf")).amax(1)[:, None]
            chosen = torch.where(farther.any(2), closest_farther, farthest)
            valid = positive_pairs & negative_pairs.any(1)[:, None]
            losses = F.relu(distances - chosen + margin)
            loss = torch.where(valid, losses, 0.0).sum() / valid.sum().clamp_min(1)
    return raise_if_not_finite(loss, embeddings=embeddings)


class TripletLoss(nn.Module):
    """Triplet loss as a module: ``forward(anchor, positive, negative)`` or, with ``mining``,
    ``forward(embeddings, labels)``.

    Example:
        >>> criterion = TripletLoss(margin=0.3, mining="batch_hard", distance="euclidean")
        >>> loss = criterion(torch.randn(32, 16), torch.randint(0, 4, (32,)))
    """

    def __init__(self, margin: float = 0.2, *, distance: Distance = "cosine", mining: Mining | None = None):
        super().__init__()
        _check_margin_and_distance(margin, distance)
        self.margin, self.distance, self.mining = margin, distance, mining

    def forward(self, *tensors: torch.Tensor) -> torch.Tensor:
        if self.mining is None:
            anchor, positive, negative = tensors
            return triplet_loss(anchor, positive, negative, margin=self.margin, distance=self.distance)
        embeddings, labels = tensors
        return mined_triplet_loss(
            embeddings, labels, margin=self.margin, mining=self.mining, distance=self.distance
        )
