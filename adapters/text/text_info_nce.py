"""In-batch InfoNCE over text pairs — sentence-transformers' MultipleNegativesRankingLoss, on mmcl's core.

Each anchor's positive is its pair's second text; its negatives are the other rows' positives (of every
process with ``gather``) and every row's hard negatives. Rows that repeat a text are positives of each other,
never negatives (`FalseNegativeLabels`). Options: the symmetric loss (also positives → anchors), a fixed or
learnable temperature, and GradCache for batches larger than memory allows.

With ``temperature = 1 / scale`` the loss equals ``MultipleNegativesRankingLoss(model, scale)`` on a batch
without repeated texts (``MultipleNegativesSymmetricRankingLoss`` with ``symmetric=True``).

Reference:
    Henderson et al., "Efficient Natural Language Response Suggestion for Smart Reply", 2017;
    Gao et al., "SimCSE: Simple Contrastive Learning of Sentence Embeddings", EMNLP 2021.

Example:
    >>> method = TextInfoNCE(encoder, feature_dim=384, temperature=0.05)  # doctest: +SKIP
    >>> loss, logs = method(view_a, view_b)  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from mmcl.adapters.text.text_method import FalseNegativeLabels, TextMethod
from mmcl.adapters.text.text_views import NEGATIVE_TEXT_IDS, negative_tokens, view_tokens
from mmcl.distributed import all_gather_no_grad, all_gather_with_grad, is_distributed
from mmcl.losses import InfoNCELoss
from mmcl.methods.base import embedding_std


class TextInfoNCE(TextMethod):
    """In-batch InfoNCE (MNRL) with hard negatives and false-negative masking.

    Args:
        encoder: the `SentenceEncoder`.
        feature_dim: the embedding dimension (unused: no projection head — the sentence embedding is trained
            directly, as sentence-transformers does).
        temperature: softmax temperature (0.05 = sentence-transformers' scale 20); the initial value when
            learnable.
        learnable_temperature: learn the temperature (CLIP style, in log space).
        symmetric: average with the positives → anchors direction.
        gather: use the keys and hard negatives of every process as negatives.
        gradcache_chunk_size: GradCache chunk size (see `TextMethod`).
    """

    display_name = "InfoNCE"

    def __init__(
        self,
        encoder: nn.Module,
        feature_dim: int,
        *,
        temperature: float = 0.05,
        learnable_temperature: bool = False,
        symmetric: bool = False,
        gather: bool = True,
        gradcache_chunk_size: int | None = None,
    ) -> None:
        super().__init__(encoder, gradcache_chunk_size=gradcache_chunk_size)
        self.criterion = InfoNCELoss(
            temperature, learnable_temperature=learnable_temperature, symmetric=symmetric, gather=gather
        )

    def forward(self, view_a: Any, view_b: Any) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        query = self.embed(view_tokens(view_a))
        key = self.embed(view_tokens(view_b))
        gather = self.criterion.gather and is_distributed()
        negatives, negative_ids = None, None
        if (tokens := negative_tokens(view_b)) is not None:
            # Every row's hard negatives are negatives of every anchor, as in MultipleNegativesRankingLoss.
            negatives, negative_ids = self.embed(tokens), view_b[NEGATIVE_TEXT_IDS].flatten()
            if gather:
                negatives, negative_ids = all_gather_with_grad(negatives), all_gather_no_grad(negative_ids)
        labels = FalseNegativeLabels(
            self.text_ids(view_a), self.text_ids(view_b), negative_ids, gather=gather
        )
        loss = self.criterion(
            query,
            key,
            negatives=negatives,
            labels=labels.rows if labels.needed else None,
            negative_labels=labels.extras if labels.needed and negatives is not None else None,
        )
        logs = {
            "embedding_std": embedding_std(query),
            "rows_sharing_a_text": torch.tensor(float(labels.shared_rows), device=query.device),
        }
        if isinstance(self.criterion.temperature, nn.Module):
            logs["temperature"] = self.criterion.temperature().detach()
        return loss, {"loss": loss.detach(), **logs}
