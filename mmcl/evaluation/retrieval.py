"""Retrieval metrics: rank a corpus by cosine similarity to each query and score where the relevant rows land.

Each query has one or several relevant corpus rows (binary relevance). Reported, averaged over queries:

- ``recall@k``: share of the query's relevant rows among the top ``k`` (with one relevant row per query this
  is the hit rate, "accuracy@k" in sentence-transformers);
- ``mrr``: mean reciprocal rank of the first relevant row in the full ranking (no cut-off);
- ``ndcg@k``: normalised discounted cumulative gain with binary gains, ``sum(rel_i / log2(i + 1))`` over the
  top ``k`` divided by its best possible value (``sklearn.metrics.ndcg_score`` on 0/1 relevance).

Queries are scored ``chunk_size`` at a time against the whole corpus, on the device of the query tensor. A
``k`` beyond the corpus size ranks the whole corpus. Ties in similarity are broken by ``torch.topk`` for
``recall@k`` / ``ndcg@k`` and in the query's favour for ``mrr``.

Example:
    >>> import torch
    >>> from mmcl.evaluation import retrieval_metrics
    >>> corpus = torch.randn(100, 16)
    >>> queries = corpus[:10] + 0.01 * torch.randn(10, 16)
    >>> metrics = retrieval_metrics(queries, corpus, relevant=list(range(10)), ks=(1, 10))
    >>> metrics["recall@1"], metrics["mrr"]
    (1.0, 1.0)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from mmcl.evaluation.inputs import EmbeddingsLike, check_same_width, embeddings_as_tensor


def retrieval_metrics(
    query_embeddings: EmbeddingsLike,
    corpus_embeddings: EmbeddingsLike,
    relevant: Sequence[int | Iterable[int]] | np.ndarray | torch.Tensor,
    *,
    ks: Sequence[int] = (1, 5, 10),
    chunk_size: int = 1024,
) -> dict[str, float]:
    """Recall@k, MRR and nDCG@k of cosine-similarity retrieval.

    Args:
        query_embeddings: ``(Q, D)`` tensor or array.
        corpus_embeddings: ``(N, D)``; moved to the device of ``query_embeddings``.
        relevant: for each query, the index (or a collection of indices) of its relevant corpus rows.
        ks: cut-offs for ``recall@k`` and ``ndcg@k``.
        chunk_size: queries scored against the whole corpus at once.

    Returns:
        ``{"recall@1": ..., "recall@5": ..., "mrr": ..., "ndcg@1": ..., ...}``, each in ``[0, 1]``.

    Raises:
        ValueError: shapes do not match, ``relevant`` does not have one non-empty entry per query, an index
            is outside the corpus, or a ``k`` is not a positive integer.

    Example:
        >>> corpus = torch.eye(3)
        >>> queries = torch.tensor([[1.0, 0.2, 0.0], [0.0, 0.3, 1.0]])
        >>> retrieval_metrics(queries, corpus, relevant=[[0, 1], [1]], ks=(1,))
        {'recall@1': 0.25, 'mrr': 0.75, 'ndcg@1': 0.5}
    """
    queries = embeddings_as_tensor("query_embeddings", query_embeddings)
    corpus = embeddings_as_tensor("corpus_embeddings", corpus_embeddings, device=queries.device)
    check_same_width("query_embeddings", queries, "corpus_embeddings", corpus)
    ks = _checked_ks(ks)
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
        raise ValueError(f"chunk_size must be a positive integer, got {chunk_size!r}")
    relevant_rows = _relevant_rows(relevant, queries=queries.shape[0], corpus_rows=corpus.shape[0])

    corpus = F.normalize(corpus, dim=1)
    depth = min(max(ks), corpus.shape[0])
    discounts = 1.0 / torch.log2(torch.arange(2, depth + 2, device=queries.device, dtype=torch.float64))
    ideal_gains = torch.cat([torch.zeros(1, dtype=torch.float64, device=queries.device), discounts.cumsum(0)])
    totals = dict.fromkeys([*(f"recall@{k}" for k in ks), "mrr", *(f"ndcg@{k}" for k in ks)], 0.0)
    for start in range(0, queries.shape[0], chunk_size):
        scores = F.normalize(queries[start : start + chunk_size], dim=1) @ corpus.T
        is_relevant = _relevance_mask(
            relevant_rows[start : start + scores.shape[0]], scores.shape, scores.device
        )
        relevant_count = is_relevant.sum(dim=1).double()
        hits = is_relevant.gather(1, scores.topk(depth, dim=1).indices).double()
        for k in ks:
            top = min(k, depth)
            totals[f"recall@{k}"] += float((hits[:, :top].sum(dim=1) / relevant_count).sum())
            gain = (hits[:, :top] * discounts[:top]).sum(dim=1)
            best_gain = ideal_gains[relevant_count.clamp(max=top).long()]
            totals[f"ndcg@{k}"] += float((gain / best_gain).sum())
        best_relevant = scores.masked_fill(~is_relevant, torch.finfo(scores.dtype).min).amax(dim=1)
        first_rank = (scores > best_relevant[:, None]).sum(dim=1) + 1
        totals["mrr"] += float((1.0 / first_rank.double()).sum())
    return {name: total / queries.shape[0] for name, total in totals.items()}


def _relevance_mask(rows: list[np.ndarray], shape: torch.Size, device: torch.device) -> torch.Tensor:
    mask = torch.zeros(shape, dtype=torch.bool, device=device)
    query_index = np.repeat(np.arange(len(rows)), [row.size for row in rows])
    mask[torch.from_numpy(query_index).to(device), torch.from_numpy(np.concatenate(rows)).to(device)] = True
    return mask


def _relevant_rows(
    relevant: Sequence[int | Iterable[int]] | np.ndarray | torch.Tensor, *, queries: int, corpus_rows: int
) -> list[np.ndarray]:
    if isinstance(relevant, torch.Tensor):
        relevant = relevant.detach().cpu().numpy()
    if isinstance(relevant, np.ndarray) and relevant.ndim != 1:
        raise ValueError(f"relevant must be 1-D (one entry per query), got shape {relevant.shape}")
    if len(relevant) != queries:
        raise ValueError(f"relevant has {len(relevant)} entries but there are {queries} queries")
    rows = []
    for query, entry in enumerate(relevant):
        ids = np.unique(np.asarray([entry] if np.ndim(entry) == 0 else list(entry)))
        if ids.size == 0:
            raise ValueError(
                f"relevant[{query}] is empty; every query needs at least one relevant corpus row"
            )
        if not np.issubdtype(ids.dtype, np.integer):
            raise ValueError(f"relevant[{query}] must hold integer corpus indices, got {ids.tolist()!r}")
        if ids.min() < 0 or ids.max() >= corpus_rows:
            raise ValueError(
                f"relevant[{query}] = {ids.tolist()} indexes outside the corpus of {corpus_rows} rows"
            )
        rows.append(ids.astype(np.int64))
    return rows


def _checked_ks(ks: Sequence[int]) -> tuple[int, ...]:
    if len(ks) == 0 or any(isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1 for k in ks):
        raise ValueError(f"ks must be positive integers, got {list(ks)!r}")
    return tuple(sorted({int(k) for k in ks}))
