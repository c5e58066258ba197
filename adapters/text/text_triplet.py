"""Triplet margin loss over text: given (anchor, positive, negative) rows, or mined from pairs in the batch.

With hard negatives in the data, each anchor is contrasted with its positive and each of its own negatives
(`mmcl.losses.triplet_loss`). Without, the batch's texts are labelled by pair — repeated texts share a label
(`FalseNegativeLabels`) — and triplets are mined (`mmcl.losses.mined_triplet_loss`: batch-all, batch-hard,
semi-hard).

Example:
    >>> method = TextTriplet(encoder, feature_dim=384, margin=0.3, mining="batch_hard")  # doctest: +SKIP
    >>> loss, logs = method(view_a, view_b)  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any, Literal

import torch
from torch import nn

from mmcl.adapters.text.text_method import FalseNegativeLabels, TextMethod
from mmcl.adapters.text.text_views import negative_tokens, view_tokens
from mmcl.losses import mined_triplet_loss, triplet_loss
from mmcl.methods.base import embedding_std


class TextTriplet(TextMethod):
    """Triplet loss on text pairs.

    Args:
        encoder: the `SentenceEncoder`.
        feature_dim: the embedding dimension (unused: no projection head).
        margin: the margin between the positive and the negative distance.
        distance: ``cosine`` or ``euclidean``.
        mining: how triplets are mined when the data has no hard negatives.
        gradcache_chunk_size: GradCache chunk size (see `TextMethod`).
    """

    display_name = "Triplet loss"

    def __init__(
        self,
        encoder: nn.Module,
        feature_dim: int,
        *,
        margin: float = 0.3,
        distance: Literal["cosine", "euclidean"] = "cosine",
        mining: Literal["batch_all", "batch_hard", "semi_hard"] = "batch_hard",
        gradcache_chunk_size: int | None = None,
    ) -> None:
        super().__init__(encoder, gradcache_chunk_size=gradcache_chunk_size)
        self.margin, self.distance, self.mining = margin, distance, mining

    def forward(self, view_a: Any, view_b: Any) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        anchors = self.embed(view_tokens(view_a))
        positives = self.embed(view_tokens(view_b))
        if (tokens := negative_tokens(view_b)) is not None:
            negatives = self.embed(tokens)
            per_row = negatives.shape[0] // anchors.shape[0]
            loss = triplet_loss(
                anchors.repeat_interleave(per_row, dim=0),
                positives.repeat_interleave(per_row, dim=0),
                negatives,
                margin=self.margin,
                distance=self.distance,
            )
        else:
            labels = FalseNegativeLabels(self.text_ids(view_a), self.text_ids(view_b)).rows
            loss = mined_triplet_loss(
                torch.cat([anchors, positives]),
                torch.cat([labels, labels]),
                margin=self.margin,
                mining=self.mining,
                distance=self.distance,
            )
        return loss, {"loss": loss.detach(), "embedding_std": embedding_std(anchors)}
