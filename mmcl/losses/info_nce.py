"""InfoNCE in its general form, and SimCLR's NT-Xent as a thin case of it.

References:
    van den Oord et al., "Representation Learning with Contrastive Predictive Coding", 2018 (InfoNCE).
    Chen et al., "A Simple Framework for Contrastive Learning of Visual Representations", ICML 2020 (NT-Xent).
    Khosla et al., "Supervised Contrastive Learning", NeurIPS 2020 (multi-positive form, L_out).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from mmcl.distributed import all_gather_no_grad, all_gather_with_grad, is_distributed, rank_offset
from mmcl.losses.contrastive import contrastive_cross_entropy
from mmcl.losses.precision import at_least_float32
from mmcl.losses.validation import (
    check_embeddings,
    check_labels,
    check_same_shape,
    check_temperature,
    raise_if_not_finite,
)


def _normalized_float32(x: torch.Tensor) -> torch.Tensor:
    return F.normalize(at_least_float32(x), dim=-1)


def _check_negatives(negatives: object, query: torch.Tensor) -> None:
    if not isinstance(negatives, torch.Tensor) or not negatives.is_floating_point():
        raise ValueError(f"negatives must be a floating-point torch.Tensor, got {type(negatives).__name__}")
    if negatives.device != query.device:
        raise ValueError(
            f"negatives are on {negatives.device} but query is on {query.device}; move them to one device"
        )
    rows, dim = query.shape
    shared = negatives.ndim == 2 and negatives.shape[1] == dim
    per_row = negatives.ndim == 3 and negatives.shape[0] == rows and negatives.shape[2] == dim
    if not (shared or per_row) or negatives.numel() == 0:
        raise ValueError(
            f"negatives must be a queue (K, {dim}) shared by all rows or per-row hard negatives "
            f"({rows}, M, {dim}), got shape {tuple(negatives.shape)} for query {tuple(query.shape)}"
        )


def _one_direction(
    query: torch.Tensor,
    key: torch.Tensor,
    *,
    temperature: float | torch.Tensor,
    negatives: torch.Tensor | None,
    negative_labels: torch.Tensor | None,
    labels: torch.Tensor | None,
    gather: bool,
    chunk_size: int | None,
) -> torch.Tensor:
    with torch.autocast(device_type=query.device.type, enabled=False):
        queries = _normalized_float32(query)
        keys = _normalized_float32(key)
        candidates = all_gather_with_grad(keys) if gather else keys
        offset = rank_offset(queries.shape[0], queries.device) if gather else 0
        candidate_labels = None
        if labels is not None:
            candidate_labels = all_gather_no_grad(labels) if gather else labels
        extra_logits = None
        if negatives is not None and negatives.ndim == 2:
            candidates = torch.cat([candidates, _normalized_float32(negatives)])
            if labels is not None:
                # Unlabelled queue entries get a label no row has, so they are always negatives.
                unlabelled = torch.full((negatives.shape[0],), -1, device=labels.device, dtype=labels.dtype)
                queue_labels = unlabelled if negative_labels is None else negative_labels
                candidate_labels = torch.cat([candidate_labels, queue_labels.to(labels.dtype)])
        elif negatives is not None:
            hard = _normalized_float32(negatives)
            extra_logits = torch.einsum("nd,nmd->nm", queries, hard) / temperature
        if candidates.shape[0] + (0 if extra_logits is None else extra_logits.shape[1]) < 2:
            raise ValueError(
                f"InfoNCE needs at least one negative: query has {queries.shape[0]} row(s), no other process "
                "contributes keys and no negatives were given; use a batch of 2 or more or pass negatives"
            )
        if labels is None:
            targets = torch.arange(queries.shape[0], device=queries.device) + offset
            return contrastive_cross_entropy(
                queries,
                candidates,
                temperature=temperature,
                targets=targets,
                extra_logits=extra_logits,
                chunk_size=chunk_size,
            )
        return contrastive_cross_entropy(
            queries,
            candidates,
            temperature=temperature,
            query_labels=labels,
            candidate_labels=candidate_labels,
            extra_logits=extra_logits,
            chunk_size=chunk_size,
        )


def info_nce(
    query: torch.Tensor,
    key: torch.Tensor,
    *,
    temperature: float | torch.Tensor,
    negatives: torch.Tensor | None = None,
    labels: torch.Tensor | None = None,
    negative_labels: torch.Tensor | None = None,
    symmetric: bool = False,
    gather: bool = False,
    chunk_size: int | None = None,
) -> torch.Tensor:
    """InfoNCE over cosine similarities: row i of ``query`` and row i of ``key`` are a positive pair.

    ``negatives`` may have another floating dtype than ``query`` (a float32 queue read under bf16 autocast):
    everything is compared in float32 at least.

    The negatives of query row i are the other keys — of every process when ``gather=True`` — plus
    ``negatives``: either a queue ``(K, D)`` shared by all rows (MoCo) or per-row hard negatives
    ``(N, M, D)``. With ``labels`` the loss is multi-positive (SupCon's L_out): every key with the row's label
    is a positive and is never pushed away as a negative; ``negative_labels`` labels a queue likewise
    (unlabelled queue entries are always negatives). ``symmetric=True`` averages with the key→query
    direction, whose candidates are the queries only (CLIP / MNRL-symmetric). Logits are float32 whatever the
    autocast dtype; ``chunk_size`` trades compute for memory (same loss and gradients).

    Args:
        query: ``(N, D)`` embeddings; not necessarily normalised.
        key: ``(N, D)`` embeddings of the positives.
        temperature: softmax temperature, > 0 (a tensor may be learnable).
        negatives: ``(K, D)`` shared or ``(N, M, D)`` per-row extra negatives.
        labels: ``(N,)`` integer labels for the multi-positive form.
        negative_labels: ``(K,)`` labels of a shared queue, with ``labels``.
        symmetric: also contrast keys against queries and average the two directions.
        gather: use the keys of every process as negatives (gradients flow back to each process).
        chunk_size: compute the logits this many rows at a time, recomputing them in backward.

    Returns:
        The mean loss, a float32 scalar.

    Example:
        >>> q, k = torch.randn(8, 32), torch.randn(8, 32)
        >>> loss = info_nce(q, k, temperature=0.1)
        >>> loss_with_queue = info_nce(q, k, temperature=0.2, negatives=torch.randn(4096, 32))
    """
    check_temperature(temperature)
    check_embeddings("query", query)
    check_embeddings("key", key)
    check_same_shape("query", query, "key", key)
    if negatives is not None:
        _check_negatives(negatives, query)
    if labels is not None:
        check_labels("labels", labels, query.shape[0], query.device)
    if negative_labels is not None:
        if labels is None or negatives is None or negatives.ndim != 2:
            raise ValueError("negative_labels labels a (K, D) queue and needs labels for the batch as well")
        check_labels("negative_labels", negative_labels, negatives.shape[0], query.device)
    gather = gather and is_distributed()

    loss = _one_direction(
        query,
        key,
        temperature=temperature,
        negatives=negatives,
        negative_labels=negative_labels,
        labels=labels,
        gather=gather,
        chunk_size=chunk_size,
    )
    if symmetric:
        reverse = _one_direction(
            key,
            query,
            temperature=temperature,
            negatives=None,
            negative_labels=None,
            labels=labels,
            gather=gather,
            chunk_size=chunk_size,
        )
        loss = (loss + reverse) / 2
    return raise_if_not_finite(loss, query=query, key=key, negatives=negatives)


def nt_xent(
    z_a: torch.Tensor,
    z_b: torch.Tensor,
    *,
    temperature: float | torch.Tensor,
    gather: bool = False,
    chunk_size: int | None = None,
) -> torch.Tensor:
    """SimCLR's NT-Xent over 2N views: each view's positive is the other view of its sample, its negatives
    are the other 2N - 2 views (of every process when ``gather=True``); the view itself is masked.

    Equivalent to ``info_nce`` with queries and keys both ``[z_a; z_b]`` and the view itself excluded.

    Example:
        >>> loss = nt_xent(torch.randn(256, 128), torch.randn(256, 128), temperature=0.5)
    """
    check_temperature(temperature)
    check_embeddings("z_a", z_a)
    check_embeddings("z_b", z_b)
    check_same_shape("z_a", z_a, "z_b", z_b)
    gather = gather and is_distributed()
    rows = z_a.shape[0]
    if rows < 2 and not gather:
        raise ValueError(
            f"nt_xent needs a batch of at least 2 samples for negatives, got z_a {tuple(z_a.shape)}"
        )
    with torch.autocast(device_type=z_a.device.type, enabled=False):
        views = _normalized_float32(torch.cat([z_a, z_b]))
        candidates = all_gather_with_grad(views) if gather else views
        offset = rank_offset(views.shape[0], views.device) if gather else 0
        local = torch.arange(2 * rows, device=views.device)
        loss = contrastive_cross_entropy(
            views,
            candidates,
            temperature=temperature,
            targets=(local + rows) % (2 * rows) + offset,
            excluded=local + offset,
            chunk_size=chunk_size,
        )
    return raise_if_not_finite(loss, z_a=z_a, z_b=z_b)


class LearnableTemperature(nn.Module):
    """A temperature learned in log space, as CLIP does, clamped to ``[minimum, inf)``.

    Example:
        >>> temperature = LearnableTemperature(0.07)
        >>> float(temperature())
        0.07...
    """

    def __init__(self, initial: float = 0.07, minimum: float = 0.01) -> None:
        super().__init__()
        check_temperature(initial)
        self.minimum = minimum
        self.log_temperature = nn.Parameter(torch.tensor(math.log(initial)))

    def forward(self) -> torch.Tensor:
        return self.log_temperature.exp().clamp_min(self.minimum)


class InfoNCELoss(nn.Module):
    """``info_nce`` as a module, for recipes; ``learnable_temperature=True`` learns it (CLIP style).

    Example:
        >>> criterion = InfoNCELoss(temperature=0.05, symmetric=True)
        >>> loss = criterion(torch.randn(16, 64), torch.randn(16, 64))
    """

    def __init__(
        self,
        temperature: float = 0.1,
        *,
        learnable_temperature: bool = False,
        symmetric: bool = False,
        gather: bool = True,
        chunk_size: int | None = None,
    ) -> None:
        super().__init__()
        check_temperature(temperature)
        self.temperature = LearnableTemperature(temperature) if learnable_temperature else temperature
        self.symmetric = symmetric
        self.gather = gather
        self.chunk_size = chunk_size

    def forward(
        self,
        query: torch.Tensor,
        key: torch.Tensor,
        negatives: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        negative_labels: torch.Tensor | None = None,
    ) -> torch.Tensor:
        temperature = self.temperature() if isinstance(self.temperature, nn.Module) else self.temperature
        return info_nce(
            query,
            key,
            temperature=temperature,
            negatives=negatives,
            labels=labels,
            negative_labels=negative_labels,
            symmetric=self.symmetric,
            gather=self.gather,
            chunk_size=self.chunk_size,
        )


class NTXentLoss(nn.Module):
    """``nt_xent`` as a module (SimCLR).

    Example:
        >>> loss = NTXentLoss(temperature=0.5)(torch.randn(32, 128), torch.randn(32, 128))
    """

    def __init__(
        self, temperature: float = 0.5, *, gather: bool = True, chunk_size: int | None = None
    ) -> None:
        super().__init__()
        check_temperature(temperature)
        self.temperature = temperature
        self.gather = gather
        self.chunk_size = chunk_size

    def forward(self, z_a: torch.Tensor, z_b: torch.Tensor) -> torch.Tensor:
        return nt_xent(z_a, z_b, temperature=self.temperature, gather=self.gather, chunk_size=self.chunk_size)
