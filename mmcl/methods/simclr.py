"""SimCLR: two augmented views, a projection head, NT-Xent over the 2N views of the (global) batch.

Reference:
    Chen et al., "A Simple Framework for Contrastive Learning of Visual Representations", ICML 2020.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from mmcl.heads import MLPHead
from mmcl.losses import nt_xent
from mmcl.methods.base import ContrastiveMethod, embedding_std


class SimCLR(ContrastiveMethod):
    """SimCLR over any encoder.

    Example:
        >>> encoder = nn.Sequential(nn.Flatten(), nn.Linear(64, 32))
        >>> method = SimCLR(encoder, feature_dim=32, projection_dim=16, hidden_dim=64)
        >>> loss, logs = method(torch.randn(8, 64), torch.randn(8, 64))
    """

    def __init__(
        self,
        encoder: nn.Module,
        feature_dim: int,
        *,
        projection_dim: int = 128,
        hidden_dim: int = 2048,
        temperature: float = 0.5,
        gather: bool = True,
        chunk_size: int | None = None,
    ) -> None:
        super().__init__()
        self.encoder = encoder
        self.projection = MLPHead(feature_dim, hidden_dim, projection_dim)
        self.temperature = temperature
        self.gather = gather
        self.chunk_size = chunk_size

    def forward(self, view_a: Any, view_b: Any) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        z_a = self.projection(self.encoder(view_a))
        z_b = self.projection(self.encoder(view_b))
        loss = nt_xent(z_a, z_b, temperature=self.temperature, gather=self.gather, chunk_size=self.chunk_size)
        return loss, {"loss": loss.detach(), "embedding_std": embedding_std(z_a)}
