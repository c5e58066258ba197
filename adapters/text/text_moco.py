"""MoCo for sentence embeddings: many negatives at a small batch, from a queue of EMA-encoded keys.

The query is the trained encoder's embedding of the first view; the key is the embedding of the second view
by an EMA copy of the whole SentenceTransformer (`mmcl.ema.EMA`), without gradient and without dropout. The
negatives are the batch's other keys plus a queue of the keys of earlier steps (`mmcl.queue.MomentumQueue`),
enqueued after the optimizer step. The queue also stores each key's text id, so a queued key of a text that is
in the batch counts as a positive, never as a negative (`FalseNegativeLabels`). No projection head: the
sentence embedding is trained directly, as in ESimCSE / MoCoSE-style sentence models.

Reference:
    He et al., "Momentum Contrast for Unsupervised Visual Representation Learning", CVPR 2020;
    Wu et al., "ESimCSE: Enhanced Sample Building Method for Contrastive Learning of Unsupervised Sentence
    Embedding", COLING 2022 (momentum contrast for sentences).

Example:
    >>> method = TextMoCo(encoder, feature_dim=384, queue_size=1024, momentum=0.99)  # doctest: +SKIP
    >>> loss, logs = method(view_a, view_b)  # doctest: +SKIP
    >>> method.on_step_end(step=0)  # after optimizer.step(): EMA update, enqueue the keys  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any, Literal

import torch
import torch.nn.functional as F
from torch import nn

from mmcl.adapters.text.text_method import FalseNegativeLabels, TextMethod
from mmcl.adapters.text.text_views import view_tokens
from mmcl.ema import EMA
from mmcl.losses import info_nce
from mmcl.methods.base import embedding_std
from mmcl.queue import MomentumQueue


class TextMoCo(TextMethod):
    """Queries from the encoder, keys from its EMA, negatives from the batch and a momentum queue.

    Args:
        encoder: the `SentenceEncoder`.
        feature_dim: the embedding dimension (the queue's width).
        temperature: softmax temperature.
        queue_size: keys kept as negatives.
        momentum: EMA momentum of the key encoder (its start value under the cosine schedule).
        momentum_schedule: ``constant``, or ``cosine`` from ``momentum`` to 1.0 over the run.
        total_steps: length of the cosine schedule (set by the engine).
        gradcache_chunk_size: GradCache chunk size for the queries (see `TextMethod`).
    """

    display_name = "MoCo"

    def __init__(
        self,
        encoder: nn.Module,
        feature_dim: int,
        *,
        temperature: float = 0.05,
        queue_size: int = 4096,
        momentum: float = 0.99,
        momentum_schedule: Literal["constant", "cosine"] = "constant",
        total_steps: int | None = None,
        gradcache_chunk_size: int | None = None,
    ) -> None:
        super().__init__(encoder, gradcache_chunk_size=gradcache_chunk_size)
        self.temperature = temperature
        self.key_encoder = EMA(encoder, momentum, schedule=momentum_schedule, total_steps=total_steps)
        self.queue = MomentumQueue(queue_size, feature_dim, store_ids=True)
        self._pending: list[tuple[torch.Tensor, torch.Tensor]] = []
        self.key_encoder.target.eval()

    def train(self, mode: bool = True) -> TextMoCo:
        """Set training mode; the key encoder stays in eval mode (keys without dropout)."""
        super().train(mode)
        self.key_encoder.target.eval()
        return self

    def forward(self, view_a: Any, view_b: Any) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        anchor_ids, positive_ids = self.text_ids(view_a), self.text_ids(view_b)
        filled = len(self.queue) > 0
        queue_keys, queue_ids = (self.queue.read(), self.queue.read_ids()) if filled else (None, None)
        query = self.embed(view_tokens(view_a))
        key = self.key_encoder(view_tokens(view_b)).to(query.dtype)
        labels = FalseNegativeLabels(anchor_ids, positive_ids, queue_ids)
        loss = info_nce(
            query,
            key,
            temperature=self.temperature,
            negatives=queue_keys.to(query.dtype) if filled else None,
            labels=labels.rows if labels.needed else None,
            negative_labels=labels.extras if labels.needed and filled else None,
        )
        if self.training:
            self._pending.append((F.normalize(key.detach().float(), dim=-1), positive_ids))
        logs = {
            "embedding_std": embedding_std(query),
            "queue_filled": torch.tensor(float(len(self.queue)), device=query.device),
        }
        return loss, {"loss": loss.detach(), **logs}

    def on_step_end(self, step: int) -> None:
        self.key_encoder.update(step)
        if self._pending:
            keys, ids = zip(*self._pending, strict=True)
            self.queue.enqueue(torch.cat(keys), ids=torch.cat(ids))
            self._pending.clear()

    def set_total_steps(self, total_steps: int) -> None:
        self.key_encoder.set_total_steps(total_steps)
