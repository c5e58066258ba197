"""The cross-entropy over candidates that every InfoNCE-family loss reduces to.

Each query row is scored against every candidate row (cosine similarity / temperature) and against its own
extra logits (per-row hard negatives). Positives are either one target column per row (``targets``) or every
candidate whose label equals the row's label (``query_labels`` / ``candidate_labels``, SupCon). An excluded
column per row (the row itself in SimCLR's 2N form) is masked with the dtype's finite minimum — never
``-inf``, whose arithmetic yields NaN. The loss of a row is ``logsumexp(logits) - mean(positive logits)``;
the result is the mean over rows. Everything is computed in float32 whatever the autocast dtype.

``chunk_size`` switches to the memory-lean path (``chunked.py``): same loss and gradients, logits never held
whole.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from mmcl.losses.chunked import chunked_contrastive_cross_entropy
from mmcl.losses.positives import MASKED, positive_mask


def contrastive_cross_entropy(
    queries: torch.Tensor,
    candidates: torch.Tensor,
    *,
    temperature: float | torch.Tensor,
    targets: torch.Tensor | None = None,
    query_labels: torch.Tensor | None = None,
    candidate_labels: torch.Tensor | None = None,
    excluded: torch.Tensor | None = None,
    extra_logits: torch.Tensor | None = None,
    chunk_size: int | None = None,
) -> torch.Tensor:
    """Mean InfoNCE cross-entropy of L2-normalised float32 ``queries`` (N, D) over ``candidates`` (M, D).

    Args:
        queries: normalised query rows, float32.
        candidates: normalised candidate rows, float32.
        temperature: softmax temperature (> 0; a tensor may require grad).
        targets: ``(N,)`` index of each row's single positive candidate.
        query_labels: ``(N,)`` labels for the multi-positive form (with ``candidate_labels``).
        candidate_labels: ``(M,)`` labels of the candidates.
        excluded: ``(N,)`` candidate index masked out of each row (its own embedding), or None.
        extra_logits: ``(N, E)`` already-scaled logits of per-row negatives, or None.
        chunk_size: compute in row chunks of this size, recomputing logits in backward.
    """
    if chunk_size is not None:
        return chunked_contrastive_cross_entropy(
            queries,
            candidates,
            temperature,
            targets,
            query_labels,
            candidate_labels,
            excluded,
            extra_logits,
            chunk_size,
        )
    # Scaling the (N, D) queries instead of the (N, M) logits keeps a single N x M buffer alive; the
    # in-place mask is safe because the matmul's backward does not read its output.
    logits = (queries / temperature) @ candidates.T
    if excluded is not None:
        logits.scatter_(1, excluded[:, None], MASKED)
    if extra_logits is not None:
        logits = torch.cat([logits, extra_logits], dim=1)
    if targets is not None:
        return F.cross_entropy(logits, targets)
    positives = positive_mask(
        slice(None), candidates.shape[0], None, query_labels, candidate_labels, excluded
    )
    if extra_logits is not None:
        positives = F.pad(positives, (0, extra_logits.shape[1]), value=False)
    log_probabilities = logits.log_softmax(dim=1)
    positive_log_probability = torch.where(positives, log_probabilities, 0.0).sum(1)
    return -(positive_log_probability / positives.sum(1)).mean()
