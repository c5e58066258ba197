"""Semantic textual similarity (STS): how well cosine similarity of embedding pairs tracks gold scores.

The cosine similarity of each pair ``(embeddings_a[i], embeddings_b[i])`` is correlated with the gold score
of the pair: Spearman's rank correlation (the STS-benchmark convention of SentEval / sentence-transformers)
and Pearson's linear one. Spearman uses average ranks for ties.

Example:
    >>> import torch
    >>> from mmcl.evaluation import sts_correlation
    >>> a = torch.randn(50, 32)
    >>> b = a + torch.randn(50, 32) * torch.linspace(0.1, 3, 50)[:, None]
    >>> result = sts_correlation(a, b, gold_scores=torch.linspace(5, 0, 50))
    >>> result.spearman > 0.5
    True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from mmcl.evaluation.inputs import EmbeddingsLike, embeddings_as_tensor


@dataclass(frozen=True)
class STSResult:
    """Correlations of cosine similarity with the gold scores, each in ``[-1, 1]`` (NaN when every pair has
    the same cosine similarity, e.g. a collapsed encoder)."""

    spearman: float
    pearson: float


def sts_correlation(
    embeddings_a: EmbeddingsLike,
    embeddings_b: EmbeddingsLike,
    gold_scores: torch.Tensor | np.ndarray | list[float],
) -> STSResult:
    """Spearman and Pearson correlation between pairwise cosine similarity and gold similarity scores.

    Args:
        embeddings_a: ``(N, D)`` first sentence (or item) of each pair.
        embeddings_b: ``(N, D)`` second of each pair.
        gold_scores: ``N`` human similarity scores (any scale, e.g. 0..5).

    Returns:
        An ``STSResult`` with ``spearman`` and ``pearson``.

    Raises:
        ValueError: shapes differ, fewer than two pairs, gold scores that are not finite or all equal.

    Example:
        >>> result = sts_correlation(torch.eye(3), torch.tensor([[1.0, 0, 0], [1, 1, 0], [0, 0, -1]]), [5, 3, 0])
        >>> result.spearman, round(result.pearson, 3)
        (1.0, 0.963)
    """
    a = embeddings_as_tensor("embeddings_a", embeddings_a)
    b = embeddings_as_tensor("embeddings_b", embeddings_b, device=a.device)
    if a.shape != b.shape:
        raise ValueError(
            f"embeddings_a and embeddings_b must have the same shape (row i of each is a pair), "
            f"got {tuple(a.shape)} and {tuple(b.shape)}"
        )
    gold = _checked_gold_scores(gold_scores, pairs=a.shape[0])
    cosine = F.cosine_similarity(a.double(), b.double(), dim=1).cpu().numpy()
    return STSResult(
        spearman=_pearson(average_ranks(cosine), average_ranks(gold)), pearson=_pearson(cosine, gold)
    )


def average_ranks(values: np.ndarray) -> np.ndarray:
    """1-based ranks of ``values``; tied values share the mean of the ranks they span.

    Example:
        >>> average_ranks(np.array([10.0, 20.0, 10.0, 5.0])).tolist()
        [2.5, 4.0, 2.5, 1.0]
    """
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    starts_group = np.r_[True, ordered[1:] != ordered[:-1]]
    group = np.cumsum(starts_group) - 1
    starts = np.flatnonzero(starts_group)
    ends = np.r_[starts[1:], values.size]
    ranks = np.empty(values.size)
    ranks[order] = ((starts + ends - 1) / 2 + 1)[group]
    return ranks


def _pearson(x: np.ndarray, y: np.ndarray) -> float:
    x, y = x - x.mean(), y - y.mean()
    denominator = np.sqrt((x * x).sum() * (y * y).sum())
    return float((x * y).sum() / denominator) if denominator > 0 else float("nan")


def _checked_gold_scores(gold_scores: torch.Tensor | np.ndarray | list[float], *, pairs: int) -> np.ndarray:
    if isinstance(gold_scores, torch.Tensor):
        gold_scores = gold_scores.detach().cpu().numpy()
    gold = np.asarray(gold_scores, dtype=np.float64)
    if gold.ndim != 1 or gold.shape[0] != pairs:
        raise ValueError(f"gold_scores must be 1-D with one score per pair ({pairs}), got shape {gold.shape}")
    if pairs < 2:
        raise ValueError(f"a correlation needs at least two pairs, got {pairs}")
    if not np.isfinite(gold).all():
        raise ValueError(f"gold_scores hold {int((~np.isfinite(gold)).sum())} NaN or infinite values")
    if np.all(gold == gold[0]):
        raise ValueError(f"gold_scores are all equal ({gold[0]:g}); a correlation with them is undefined")
    return gold
