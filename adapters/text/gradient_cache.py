"""GradCache for text methods: encode a large batch in chunks, recomputing each chunk's activations in backward.

A contrastive loss couples every row with every other, so the whole batch's embeddings are needed at once,
but the encoder's activations are not: each chunk of ``chunk_size`` texts is encoded under
`torch.utils.checkpoint` (non-reentrant), which keeps only the chunk's inputs and embeddings and re-runs the
chunk in backward with the random state of the first pass (the same dropout masks). Peak activation memory is
that of one chunk (whose columns that are padding in all of its rows are dropped first); the gradients equal
those of `mmcl.gradcache.GradCache`, which splits the same way.

Unlike ``GradCache.__call__``, which runs its own backward, this returns embeddings whose backward does the
work, so a method using it returns an ordinary loss: the engine's ``accelerator.backward`` (loss scaling,
gradient accumulation, DDP) applies unchanged.

Reference:
    Gao et al., "Scaling Deep Contrastive Learning Batch Size under Memory Limited Setup", RepL4NLP 2021.

Example:
    >>> embeddings = encode_in_chunks(encoder, tokens, chunk_size=64)  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import torch
from torch.utils.checkpoint import checkpoint

from mmcl.gradcache import split_batch


def encode_in_chunks(
    encoder: Callable[[Mapping[str, torch.Tensor]], torch.Tensor],
    tokens: Mapping[str, torch.Tensor],
    chunk_size: int | None,
) -> torch.Tensor:
    """``encoder(tokens)``, computed ``chunk_size`` rows at a time with activations recomputed in backward.

    Without ``chunk_size``, without gradient, or for a batch of one chunk, this is just ``encoder(tokens)``.
    """
    if chunk_size is None or not torch.is_grad_enabled():
        return encoder(tokens)
    chunks = split_batch(dict(tokens), chunk_size)
    if len(chunks) == 1:
        return encoder(tokens)
    return torch.cat(
        [checkpoint(encoder, _without_padding_columns(chunk), use_reentrant=False) for chunk in chunks]
    )


def _without_padding_columns(chunk: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The chunk without its trailing columns that are padding in every row: a chunk is padded to the longest
    text of the whole batch, and its activations grow with that width."""
    mask = chunk.get("attention_mask")
    if mask is None or mask.ndim != 2:
        return chunk
    width = int(mask.any(dim=0).nonzero().max()) + 1 if bool(mask.any()) else mask.shape[1]
    return {k: v[:, :width] if v.ndim >= 2 and v.shape[1] == mask.shape[1] else v for k, v in chunk.items()}
