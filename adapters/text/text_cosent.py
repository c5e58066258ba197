"""CoSENT over scored text pairs: every pair is used, ranked by its gold score (`mmcl.losses.cosent_loss`).

Needs data with a ``score`` column (STS scores, 0/1 paraphrase labels). Equals sentence-transformers'
``CoSENTLoss(model, scale)`` on the same batch.

Example:
    >>> method = TextCoSENT(encoder, feature_dim=384, scale=20.0)  # doctest: +SKIP
    >>> loss, logs = method(view_a, view_b)  # view_b holds the pairs' scores  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from mmcl.adapters.text.text_method import TextMethod
from mmcl.adapters.text.text_views import SCORES, required, view_tokens
from mmcl.losses.cosent import cosent_loss
from mmcl.methods.base import embedding_std


class TextCoSENT(TextMethod):
    """CoSENT ranking loss over the pairs of a batch.

    Args:
        encoder: the `SentenceEncoder`.
        feature_dim: the embedding dimension (unused: no projection head).
        scale: inverse temperature of the cosine similarities (20 in the paper and in sentence-transformers).
        gradcache_chunk_size: GradCache chunk size (see `TextMethod`).
    """

    display_name = "CoSENT"

    def __init__(
        self,
        encoder: nn.Module,
        feature_dim: int,
        *,
        scale: float = 20.0,
        gradcache_chunk_size: int | None = None,
    ) -> None:
        super().__init__(encoder, gradcache_chunk_size=gradcache_chunk_size)
        if not scale > 0:
            raise ValueError(f"scale must be > 0, got {scale}")
        self.scale = scale

    def forward(self, view_a: Any, view_b: Any) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        scores = required(view_b, SCORES, "text-cosent", "map a score column in adapter.train.columns.score")
        first = self.embed(view_tokens(view_a))
        second = self.embed(view_tokens(view_b))
        loss = cosent_loss(first, second, scores, scale=self.scale)
        return loss, {"loss": loss.detach(), "embedding_std": embedding_std(first)}
