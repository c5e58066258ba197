"""Memory-lean InfoNCE cross-entropy: logits computed in row chunks and recomputed in backward.

The dense loss holds the whole ``(N, M)`` logit matrix (and its softmax) for backward: at N = M = 8192 that
is 256 MB each in float32. Here only one ``(chunk, M)`` block lives at a time; backward recomputes each block
from the saved inputs and the per-row log-sum-exp. Loss and gradients equal the dense computation.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from mmcl.losses.positives import MASKED, positive_mask


def _block_logits(queries, candidates, inverse_temperature, excluded, extra_logits, rows):
    logits = (queries[rows] * inverse_temperature) @ candidates.T
    if excluded is not None:
        logits.scatter_(1, excluded[rows, None], MASKED)
    if extra_logits is not None:
        logits = torch.cat([logits, extra_logits[rows]], dim=1)
    return logits


def _block_positive_weights(rows, columns, extra_columns, targets, query_labels, candidate_labels, excluded):
    positives = positive_mask(rows, columns, targets, query_labels, candidate_labels, excluded)
    if extra_columns:
        positives = F.pad(positives, (0, extra_columns), value=False)
    return positives / positives.sum(1, keepdim=True)


class _ChunkedContrastiveCrossEntropy(torch.autograd.Function):
    @staticmethod
    def forward(
        ctx,
        queries,
        candidates,
        temperature,
        extra_logits,
        targets,
        query_labels,
        candidate_labels,
        excluded,
        chunk_size,
    ):
        inverse_temperature = 1.0 / temperature
        columns = candidates.shape[0]
        extra_columns = 0 if extra_logits is None else extra_logits.shape[1]
        per_row = queries.new_empty(queries.shape[0])
        log_sum_exp = queries.new_empty(queries.shape[0])
        for start in range(0, queries.shape[0], chunk_size):
            rows = slice(start, start + chunk_size)
            logits = _block_logits(queries, candidates, inverse_temperature, excluded, extra_logits, rows)
            weights = _block_positive_weights(
                rows, columns, extra_columns, targets, query_labels, candidate_labels, excluded
            )
            log_sum_exp[rows] = logits.logsumexp(dim=1)
            per_row[rows] = log_sum_exp[rows] - torch.where(weights > 0, logits * weights, 0.0).sum(1)
        ctx.save_for_backward(
            queries, candidates, extra_logits, log_sum_exp, targets, query_labels, candidate_labels, excluded
        )
        ctx.temperature = temperature
        ctx.chunk_size = chunk_size
        return per_row.mean()

    @staticmethod
    def backward(ctx, grad_loss):
        (
            queries,
            candidates,
            extra_logits,
            log_sum_exp,
            targets,
            query_labels,
            candidate_labels,
            excluded,
        ) = ctx.saved_tensors
        temperature = ctx.temperature
        inverse_temperature = 1.0 / temperature
        columns = candidates.shape[0]
        extra_columns = 0 if extra_logits is None else extra_logits.shape[1]
        scale = grad_loss / queries.shape[0]
        grad_queries = torch.empty_like(queries)
        grad_candidates = torch.zeros_like(candidates)
        grad_extra = None if extra_logits is None else torch.empty_like(extra_logits)
        grad_temperature = torch.zeros((), device=queries.device, dtype=queries.dtype)
        for start in range(0, queries.shape[0], ctx.chunk_size):
            rows = slice(start, start + ctx.chunk_size)
            logits = _block_logits(queries, candidates, inverse_temperature, excluded, extra_logits, rows)
            weights = _block_positive_weights(
                rows, columns, extra_columns, targets, query_labels, candidate_labels, excluded
            )
            grad_logits = (torch.exp(logits - log_sum_exp[rows, None]) - weights) * scale
            grad_similarity = grad_logits[:, :columns]
            grad_queries[rows] = (grad_similarity @ candidates) * inverse_temperature
            grad_candidates += (grad_similarity.T @ queries[rows]) * inverse_temperature
            if grad_extra is not None:
                grad_extra[rows] = grad_logits[:, columns:]
            if isinstance(temperature, torch.Tensor) and ctx.needs_input_grad[2]:
                # Masked entries carry zero gradient, so their huge logits contribute nothing.
                masked_free = torch.where(grad_similarity != 0, logits[:, :columns], 0.0)
                grad_temperature -= (grad_similarity * masked_free).sum() * inverse_temperature
        grad_temperature = grad_temperature.reshape_as(temperature) if ctx.needs_input_grad[2] else None
        return grad_queries, grad_candidates, grad_temperature, grad_extra, None, None, None, None, None


def chunked_contrastive_cross_entropy(
    queries: torch.Tensor,
    candidates: torch.Tensor,
    temperature: float | torch.Tensor,
    targets: torch.Tensor | None,
    query_labels: torch.Tensor | None,
    candidate_labels: torch.Tensor | None,
    excluded: torch.Tensor | None,
    extra_logits: torch.Tensor | None,
    chunk_size: int,
) -> torch.Tensor:
    """Same contract as ``contrastive_cross_entropy``, computed ``chunk_size`` query rows at a time."""
    if not isinstance(chunk_size, int) or chunk_size < 1:
        raise ValueError(f"chunk_size must be a positive integer, got {chunk_size!r}")
    return _ChunkedContrastiveCrossEntropy.apply(
        queries,
        candidates,
        temperature,
        extra_logits,
        targets,
        query_labels,
        candidate_labels,
        excluded,
        chunk_size,
    )
