"""Memory-lean InfoNCE cross-entropy: logits computed in row chunks and recomputed in backward.

The dense loss holds the whole ``(N, M)`` logit matrix (and its softmax) for backward: at N = M = 8192 that
is 256 MB each in float32. Here only one ``(chunk, M)`` block lives at a time; backward recomputes each block
from the saved inputs and the per-row log-sum-exp. Loss and gradients equal the dense computation.
"""

from __future__ import annotations

import torch

from mmcl.losses.positives import MASKED, positive_mask


def _block_logits(queries, candidates, inverse_temperature, excluded, extra_logits, rows):
    logits = (queries[rows] * inverse_temperature) @ candidates.T
    if excluded is not None:
        logits.scatter_(1, excluded[rows, None], MASKED)
    if extra_logits is not None:
        logits = torch.cat([logits, extra_logits[rows]], dim=1)
    return logits


def _positive_logit_mean(logits, rows, columns, targets, query_labels, candidate_labels, excluded):
    """Mean logit of each row's positives (one target, or every same-label candidate)."""
    if targets is not None:
        return logits.gather(1, targets[rows, None]).squeeze(1)
    positives = positive_mask(rows, columns, None, query_labels, candidate_labels, excluded)
    return torch.where(positives, logits[:, :columns], 0.0).sum(1) / positives.sum(1)


def _subtract_positive_weights(
    grad_logits, rows, columns, scale, targets, query_labels, candidate_labels, excluded
):
    """``grad_logits -= scale * (positive mask / number of positives)``, in place."""
    if targets is not None:
        target = targets[rows, None]
        grad_logits.scatter_add_(
            1, target, torch.full(target.shape, -scale, dtype=grad_logits.dtype, device=target.device)
        )
        return
    positives = positive_mask(rows, columns, None, query_labels, candidate_labels, excluded)
    weights = positives / positives.sum(1, keepdim=True)
    grad_logits[:, :columns].sub_(weights * scale)


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
        per_row = queries.new_empty(queries.shape[0])
        log_sum_exp = queries.new_empty(queries.shape[0])
        for start in range(0, queries.shape[0], chunk_size):
            rows = slice(start, start + chunk_size)
            logits = _block_logits(queries, candidates, inverse_temperature, excluded, extra_logits, rows)
            log_sum_exp[rows] = logits.logsumexp(dim=1)
            positive = _positive_logit_mean(
                logits, rows, columns, targets, query_labels, candidate_labels, excluded
            )
            per_row[rows] = log_sum_exp[rows] - positive
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
        scale = float(grad_loss) / queries.shape[0]
        wants_temperature = isinstance(temperature, torch.Tensor) and ctx.needs_input_grad[2]
        grad_queries = torch.empty_like(queries)
        grad_candidates = torch.zeros_like(candidates)
        grad_extra = None if extra_logits is None else torch.empty_like(extra_logits)
        grad_temperature = torch.zeros((), device=queries.device, dtype=queries.dtype)
        for start in range(0, queries.shape[0], ctx.chunk_size):
            rows = slice(start, start + ctx.chunk_size)
            logits = _block_logits(queries, candidates, inverse_temperature, excluded, extra_logits, rows)
            if wants_temperature:
                scaled_similarity = logits[:, :columns].clone()
            # softmax * scale - positive weights * scale, in place on the recomputed block
            grad_logits = logits.sub_(log_sum_exp[rows, None]).exp_().mul_(scale)
            _subtract_positive_weights(
                grad_logits, rows, columns, scale, targets, query_labels, candidate_labels, excluded
            )
            grad_similarity = grad_logits[:, :columns]
            grad_queries[rows] = (grad_similarity @ candidates) * inverse_temperature
            grad_candidates += (grad_similarity.T @ queries[rows]) * inverse_temperature
            if grad_extra is not None:
                grad_extra[rows] = grad_logits[:, columns:]
            if wants_temperature:
                # d logits / d T = -logits / T; masked entries have zero gradient and are left out.
                finite = torch.where(grad_similarity != 0, scaled_similarity, 0.0)
                grad_temperature -= (grad_similarity * finite).sum() * inverse_temperature
        grad_temperature = grad_temperature.reshape_as(temperature) if wants_temperature else None
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
