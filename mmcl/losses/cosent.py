"""CoSENT: a ranking loss over scored pairs, so graded similarity data (STS scores, 0/1 labels) is used fully.

For pairs ``(a_i, b_i)`` with gold scores ``s_i`` and cosine similarities ``c_i``, every two pairs with
``s_i < s_j`` should have ``c_i < c_j``:

    loss = log(1 + sum over (i, j) with s_i < s_j of exp(scale * (c_i - c_j)))

Pairs with equal scores are not compared, so only the order of the scores matters (0–5 STS scores and 0/1
paraphrase labels work as they are). The sum over pairs is computed in ``O(N log N)`` — sort by score, then a
suffix ``logcumsumexp`` — without the ``N x N`` matrix; everything is float32 whatever the autocast dtype.

Reference:
    Su, "CoSENT: A more efficient sentence vector scheme than Sentence-BERT", 2022
    (https://kexue.fm/archives/8847); ``CoSENTLoss`` in sentence-transformers.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from mmcl.losses.precision import at_least_float32
from mmcl.losses.validation import check_embeddings, check_same_shape, raise_if_not_finite


def _check_scores(scores: object, rows: int, device: torch.device) -> torch.Tensor:
    if not isinstance(scores, torch.Tensor) or scores.ndim != 1 or scores.shape[0] != rows:
        shape = tuple(scores.shape) if isinstance(scores, torch.Tensor) else type(scores).__name__
        raise ValueError(f"scores must be a 1-D tensor with {rows} entries (one per pair), got {shape}")
    if scores.is_complex():
        raise ValueError(f"scores must be real numbers, got {scores.dtype}")
    if scores.device != device:
        raise ValueError(f"scores are on {scores.device} but the embeddings are on {device}")
    if scores.is_floating_point() and not bool(torch.isfinite(scores).all()):
        raise ValueError(f"scores hold {int((~torch.isfinite(scores)).sum())} NaN or infinite values")
    return scores


def cosent_loss(
    embeddings_a: torch.Tensor, embeddings_b: torch.Tensor, scores: torch.Tensor, *, scale: float = 20.0
) -> torch.Tensor:
    """CoSENT loss of the pairs ``(embeddings_a[i], embeddings_b[i])`` ranked by their gold ``scores``.

    Args:
        embeddings_a: ``(N, D)`` first text of each pair; not necessarily normalised.
        embeddings_b: ``(N, D)`` second text of each pair.
        scores: ``(N,)`` gold similarity of each pair (any scale; bool and integer labels work too).
        scale: inverse temperature applied to the cosine similarities (20 in the paper), > 0.

    Returns:
        The loss, a float32 scalar (``log 1 = 0`` when all scores are equal: nothing to rank).

    Example:
        >>> a, b = torch.randn(16, 32), torch.randn(16, 32)
        >>> loss = cosent_loss(a, b, torch.rand(16) * 5, scale=20.0)
    """
    check_embeddings("embeddings_a", embeddings_a)
    check_embeddings("embeddings_b", embeddings_b)
    check_same_shape("embeddings_a", embeddings_a, "embeddings_b", embeddings_b)
    _check_scores(scores, embeddings_a.shape[0], embeddings_a.device)
    if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not scale > 0:
        raise ValueError(f"scale must be a number > 0, got {scale!r}")
    with torch.autocast(device_type=embeddings_a.device.type, enabled=False):
        cosine = F.cosine_similarity(at_least_float32(embeddings_a), at_least_float32(embeddings_b), dim=-1)
        logits = cosine * scale
        sorted_scores, order = scores.detach().double().sort()
        logits = logits[order]
        # For the i-th lowest score, the pairs that must rank above it start at the first strictly higher score.
        higher_start = torch.searchsorted(sorted_scores, sorted_scores, right=True)
        minimum = torch.finfo(logits.dtype).min
        suffix = torch.logcumsumexp(-logits.flip(0), dim=0).flip(0)
        suffix = torch.cat([suffix, suffix.new_full((1,), minimum)])  # nothing above the highest score
        terms = (logits + suffix[higher_start]).clamp_min(minimum)
        loss = torch.logsumexp(torch.cat([terms.new_zeros(1), terms]), dim=0)
    return raise_if_not_finite(loss, embeddings_a=embeddings_a, embeddings_b=embeddings_b)


class CoSENTLoss(nn.Module):
    """``cosent_loss`` as a module.

    Example:
        >>> criterion = CoSENTLoss(scale=20.0)
        >>> loss = criterion(torch.randn(8, 16), torch.randn(8, 16), torch.tensor([0, 1, 2, 3, 4, 5, 1, 0.5]))
    """

    def __init__(self, scale: float = 20.0) -> None:
        super().__init__()
        if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not scale > 0:
            raise ValueError(f"scale must be a number > 0, got {scale!r}")
        self.scale = scale

    def forward(
        self, embeddings_a: torch.Tensor, embeddings_b: torch.Tensor, scores: torch.Tensor
    ) -> torch.Tensor:
        return cosent_loss(embeddings_a, embeddings_b, scores, scale=self.scale)
