"""TS2Vec's hierarchical contrastive loss over per-timestamp representations.

At every scale — the timestamps, then max-pooled by 2 again and again down to one — two terms are added:
an *instance* term (at each timestamp, a sample's two views are positives and the other samples' views are
negatives) and a *temporal* term (within a sample, a timestamp's two views are positives and the other
timestamps are negatives). Both use raw dot products, as in the reference implementation.

Reference:
    Yue et al., "TS2Vec: Towards Universal Representation of Time Series", AAAI 2022.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from mmcl.losses.positives import MASKED
from mmcl.losses.precision import at_least_float32
from mmcl.losses.validation import check_embeddings, check_same_shape, raise_if_not_finite


def _grouped_pair_contrast(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Within each of G groups of N rows: row i of ``a`` and of ``b`` are positives, every other row of
    ``[a; b]`` is a negative. ``a`` and ``b``: ``(G, N, C)``. Mean cross-entropy over the 2N rows and groups."""
    groups, rows, _ = a.shape
    z = torch.cat([a, b], dim=1)
    logits = z @ z.transpose(1, 2)
    diagonal = torch.eye(2 * rows, dtype=torch.bool, device=z.device)
    logits = logits.masked_fill(diagonal, MASKED)
    targets = (torch.arange(2 * rows, device=z.device) + rows) % (2 * rows)
    return F.cross_entropy(logits.reshape(groups * 2 * rows, 2 * rows), targets.repeat(groups))


def instance_contrastive_loss(z1: torch.Tensor, z2: torch.Tensor) -> torch.Tensor:
    """At each timestamp, contrast the batch's samples: ``z1``, ``z2`` are ``(batch, time, channels)``."""
    if z1.shape[0] == 1:
        return z1.new_zeros(())
    return _grouped_pair_contrast(z1.transpose(0, 1), z2.transpose(0, 1))


def temporal_contrastive_loss(z1: torch.Tensor, z2: torch.Tensor) -> torch.Tensor:
    """Within each sample, contrast its timestamps: ``z1``, ``z2`` are ``(batch, time, channels)``."""
    if z1.shape[1] == 1:
        return z1.new_zeros(())
    return _grouped_pair_contrast(z1, z2)


def hierarchical_contrastive_loss(
    z1: torch.Tensor, z2: torch.Tensor, *, alpha: float = 0.5, temporal_unit: int = 0
) -> torch.Tensor:
    """TS2Vec's loss for two views ``(batch, time, channels)`` of the same timestamps (the crops' overlap).

    Args:
        z1: per-timestamp representations of the first view.
        z2: the same timestamps seen in the second view.
        alpha: weight of the instance term; the temporal term gets ``1 - alpha``.
        temporal_unit: the temporal term starts at this depth of the max-pool hierarchy.

    Example:
        >>> loss = hierarchical_contrastive_loss(torch.randn(8, 50, 32), torch.randn(8, 50, 32))
    """
    check_embeddings("z1", z1, ndim=3)
    check_embeddings("z2", z2, ndim=3)
    check_same_shape("z1", z1, "z2", z2)
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be in [0, 1], got {alpha!r}")
    with torch.autocast(device_type=z1.device.type, enabled=False):
        a, b = at_least_float32(z1), at_least_float32(z2)
        loss = a.new_zeros(())
        depth = 0
        while a.shape[1] > 1:
            if alpha != 0:
                loss = loss + alpha * instance_contrastive_loss(a, b)
            if depth >= temporal_unit and alpha != 1:
                loss = loss + (1 - alpha) * temporal_contrastive_loss(a, b)
            depth += 1
            a = F.max_pool1d(a.transpose(1, 2), kernel_size=2).transpose(1, 2)
            b = F.max_pool1d(b.transpose(1, 2), kernel_size=2).transpose(1, 2)
        if alpha != 0:
            loss = loss + alpha * instance_contrastive_loss(a, b)
        depth += 1
        loss = loss / depth
    return raise_if_not_finite(loss, z1=z1, z2=z2)
