"""BYOL: an online network with a predictor regresses an EMA target's projection of the other view.

Reference:
    Grill et al., "Bootstrap Your Own Latent: A New Approach to Self-Supervised Learning", NeurIPS 2020.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from mmcl.ema import EMA
from mmcl.heads import MLPHead
from mmcl.losses import byol_loss
from mmcl.methods.base import ContrastiveMethod, embedding_std


class BYOL(ContrastiveMethod):
    """BYOL over any encoder; the target's momentum follows the cosine schedule from ``momentum`` to 1.

    Example:
        >>> encoder = nn.Sequential(nn.Flatten(), nn.Linear(64, 32))
        >>> method = BYOL(encoder, feature_dim=32, projection_dim=16, hidden_dim=64, total_steps=100)
        >>> loss, logs = method(torch.randn(8, 64), torch.randn(8, 64))
        >>> method.on_step_end(step=0)
    """

    def __init__(
        self,
        encoder: nn.Module,
        feature_dim: int,
        *,
        projection_dim: int = 256,
        hidden_dim: int = 4096,
        momentum: float = 0.996,
        momentum_schedule: str = "cosine",
        total_steps: int | None = None,
    ) -> None:
        super().__init__()
        self.encoder = encoder
        self.projection = MLPHead(feature_dim, hidden_dim, projection_dim)
        self.prediction = MLPHead(projection_dim, hidden_dim, projection_dim)
        self.target = EMA(
            nn.Sequential(encoder, self.projection),
            momentum,
            schedule=momentum_schedule,
            total_steps=total_steps,
        )

    def forward(self, view_a: Any, view_b: Any) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        z_a = self.projection(self.encoder(view_a))
        z_b = self.projection(self.encoder(view_b))
        target_a, target_b = self.target(view_a), self.target(view_b)
        loss = (byol_loss(self.prediction(z_a), target_b) + byol_loss(self.prediction(z_b), target_a)) / 2
        return loss, {"loss": loss.detach(), "embedding_std": embedding_std(z_a)}

    def on_step_end(self, step: int) -> None:
        self.target.update(step)

    def set_total_steps(self, total_steps: int) -> None:
        self.target.set_total_steps(total_steps)
