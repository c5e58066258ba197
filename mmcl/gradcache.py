"""Gradient caching: a contrastive batch of thousands where only a few dozen fit through the encoder.

The loss of an in-batch contrastive objective couples every row with every other, so plain gradient
accumulation cannot split it (each micro-batch would only see its own negatives). GradCache splits the
*encoder* instead: (1) embed the batch chunk by chunk without a graph; (2) compute the loss on the cached
embeddings and backpropagate into them only; (3) re-run each chunk with a graph and backpropagate the cached
embedding gradients through it. The RNG state of each chunk is recorded in (1) and replayed in (3), so
dropout masks match and the parameter gradients equal those of the uncached computation.

Reference:
    Gao et al., "Scaling Deep Contrastive Learning Batch Size under Memory Limited Setup", RepL4NLP 2021.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import torch

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


def _batch_device(batch: Batch) -> torch.device:
    if isinstance(batch, torch.Tensor):
        return batch.device
    return next(v.device for v in batch.values() if isinstance(v, torch.Tensor))


class _RandomState:
    """The CPU and accelerator RNG states at one point, to replay a chunk's dropout exactly."""

    def __init__(self, device: torch.device) -> None:
        self.device = device
        self.cpu = torch.get_rng_state()
        self.accelerator = torch.cuda.get_rng_state(device) if device.type == "cuda" else None

    @contextlib.contextmanager
    def replay(self) -> Iterator[None]:
        devices = [self.device] if self.device.type == "cuda" else []
        with torch.random.fork_rng(devices=devices):
            torch.set_rng_state(self.cpu)
            if self.accelerator is not None:
                torch.cuda.set_rng_state(self.accelerator, self.device)
            yield


class GradCache:
    """Exact large-batch contrastive gradients with bounded activation memory.

    Args:
        encoders: one callable per input (or one shared by all), mapping a batch chunk to ``(n, D)``.
        loss_fn: maps the full embeddings ``(N, D)`` of each input to a scalar loss.
        chunk_size: rows per encoder pass.
        no_sync: a context-manager factory that suspends DDP gradient synchronisation (e.g.
            ``lambda: accelerator.no_sync(model)``): every chunk but the last backpropagates under it, so
            gradients are all-reduced once.

    Calling it runs the three passes, leaves the gradients in the parameters' ``.grad`` (accumulated, as
    ``loss.backward()`` would) and returns the detached loss.

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
        *,
        no_sync: Callable[[], contextlib.AbstractContextManager] | None = None,
    ) -> None:
        if not isinstance(chunk_size, int) or chunk_size < 1:
            raise ValueError(f"chunk_size must be a positive integer, got {chunk_size!r}")
        self.encoders = encoders
        self.loss_fn = loss_fn
        self.chunk_size = chunk_size
        self.no_sync = no_sync or contextlib.nullcontext

    def _encoder(self, index: int) -> Callable[[Batch], torch.Tensor]:
        return self.encoders[index] if isinstance(self.encoders, Sequence) else self.encoders

    def __call__(self, *batches: Batch) -> torch.Tensor:
        chunks = [split_batch(batch, self.chunk_size) for batch in batches]
        states: list[list[_RandomState]] = []
        cached: list[torch.Tensor] = []
        with torch.no_grad():
            for index, input_chunks in enumerate(chunks):
                encoder = self._encoder(index)
                states.append([])
                embeddings = []
                for chunk in input_chunks:
                    states[-1].append(_RandomState(_batch_device(chunk)))
                    embeddings.append(encoder(chunk))
                cached.append(torch.cat(embeddings).detach().requires_grad_())
        loss = self.loss_fn(*cached)
        loss.backward()
        passes = [
            (index, chunk, state, grad)
            for index, (input_chunks, embeddings) in enumerate(zip(chunks, cached, strict=True))
            for chunk, state, grad in zip(
                input_chunks, states[index], embeddings.grad.split(self.chunk_size), strict=True
            )
        ]
        for number, (index, chunk, state, grad) in enumerate(passes):
            last = number == len(passes) - 1
            with state.replay(), contextlib.nullcontext() if last else self.no_sync():
                self._encoder(index)(chunk).backward(grad)
        return loss.detach()
