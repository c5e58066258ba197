"""Gradient caching: a contrastive batch of thousands where only a few dozen fit through the encoder.

The loss of an in-batch contrastive objective couples every row with every other, so plain gradient
accumulation cannot split it (each micro-batch would only see its own negatives). GradCache splits the
*encoder* instead: (1) embed the batch chunk by chunk, keeping only the embeddings; (2) compute the loss on
the whole batch's embeddings and backpropagate into them; (3) re-run each chunk with a graph and
backpropagate its slice of the embedding gradient through it. Each chunk's RNG state is recorded in (1) and
replayed in (3), so dropout masks match and the parameter gradients equal those of the uncached computation.

`encode_in_chunks` does (1) and leaves (2) and (3) to autograd — each chunk is encoded under
`torch.utils.checkpoint` (non-reentrant), which keeps the chunk's inputs and output and recomputes the rest in
backward — so its embeddings go into any loss and one ``loss.backward()`` (or ``accelerator.backward``, with
its loss scaling, gradient accumulation and single DDP all-reduce) does the rest. `GradCache` is the
stand-alone form: encoders and a loss in, gradients in ``.grad`` out.

Reference:
    Gao et al., "Scaling Deep Contrastive Learning Batch Size under Memory Limited Setup", RepL4NLP 2021.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import torch
from torch.utils.checkpoint import checkpoint

Batch = Any


def split_batch(batch: Batch, chunk_size: int) -> list[Batch]:
    """Split a tensor, or a mapping of tensors (a tokenizer's output), into chunks along dim 0."""
    if isinstance(batch, torch.Tensor):
        return list(batch.split(chunk_size))
    if isinstance(batch, Mapping):
        rows = {value.shape[0] for value in batch.values() if isinstance(value, torch.Tensor)}
        if len(rows) != 1:
            raise ValueError(f"every tensor of a batch mapping needs the same number of rows, got {rows}")
        total = rows.pop()
        return [
            {k: v[start : start + chunk_size] if isinstance(v, torch.Tensor) else v for k, v in batch.items()}
            for start in range(0, total, chunk_size)
        ]
    raise ValueError(f"a batch must be a tensor or a mapping of tensors, got {type(batch).__name__}")


def encode_in_chunks(
    encoder: Callable[[Batch], torch.Tensor], batch: Batch, chunk_size: int | None
) -> torch.Tensor:
    """``encoder(batch)``, computed ``chunk_size`` rows at a time, with each chunk re-run in backward.

    The result has the same value and, through any loss, gives the same parameter gradients as
    ``torch.cat([encoder(chunk) for chunk in split_batch(batch, chunk_size)])`` (the same dropout masks
    included), while only one chunk's activations are alive at a time.

    Args:
        encoder: maps a chunk of ``batch`` (a tensor, or a mapping of tensors) to ``(n, D)`` embeddings.
        batch: a tensor or a mapping of tensors with ``N`` rows.
        chunk_size: rows per encoder pass; None encodes the batch in one pass. Without gradient, or for a
            batch of one chunk, this is just ``encoder(batch)``.

    Returns:
        The ``(N, D)`` embeddings.

    Example:
        >>> encoder = torch.nn.Sequential(torch.nn.Linear(32, 64), torch.nn.Dropout(0.1), torch.nn.Linear(64, 16))
        >>> embeddings = encode_in_chunks(encoder, torch.randn(512, 32), chunk_size=64)
        >>> embeddings.pow(2).sum().backward()  # re-runs the 8 chunks, one at a time
        >>> embeddings.shape
        torch.Size([512, 16])
    """
    if chunk_size is not None and (not isinstance(chunk_size, int) or chunk_size < 1):
        raise ValueError(f"chunk_size must be a positive integer (or None), got {chunk_size!r}")
    if chunk_size is None or not torch.is_grad_enabled():
        return encoder(batch)
    chunks = split_batch(batch, chunk_size)
    if len(chunks) == 1:
        return encoder(batch)
    return torch.cat([checkpoint(encoder, chunk, use_reentrant=False) for chunk in chunks])


class GradCache:
    """Exact large-batch contrastive gradients with bounded activation memory.

    Args:
        encoders: one callable per input (or one shared by all), mapping a batch chunk to ``(n, D)``.
        loss_fn: maps the full embeddings ``(N, D)`` of each input to a scalar loss.
        chunk_size: rows per encoder pass.

    Calling it encodes each input with `encode_in_chunks`, runs one backward (so a DDP-wrapped encoder
    all-reduces once), leaves the gradients in the parameters' ``.grad`` (accumulated, as ``loss.backward()``
    would) and returns the detached loss. Inside a training loop that runs its own backward, call
    `encode_in_chunks` instead.

    Example:
        >>> from mmcl.losses import info_nce
        >>> encoder = torch.nn.Linear(32, 16)
        >>> cache = GradCache(encoder, lambda q, k: info_nce(q, k, temperature=0.05), chunk_size=64)
        >>> loss = cache(torch.randn(512, 32), torch.randn(512, 32))
    """

    def __init__(
        self,
        encoders: Callable[[Batch], torch.Tensor] | Sequence[Callable[[Batch], torch.Tensor]],
        loss_fn: Callable[..., torch.Tensor],
        chunk_size: int,
    ) -> None:
        if not isinstance(chunk_size, int) or chunk_size < 1:
            raise ValueError(f"chunk_size must be a positive integer, got {chunk_size!r}")
        self.encoders = encoders
        self.loss_fn = loss_fn
        self.chunk_size = chunk_size

    def _encoder(self, index: int) -> Callable[[Batch], torch.Tensor]:
        return self.encoders[index] if isinstance(self.encoders, Sequence) else self.encoders

    def __call__(self, *batches: Batch) -> torch.Tensor:
        embeddings = [
            encode_in_chunks(self._encoder(index), batch, self.chunk_size)
            for index, batch in enumerate(batches)
        ]
        loss = self.loss_fn(*embeddings)
        loss.backward()
        return loss.detach()
