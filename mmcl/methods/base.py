"""What every method shares: ``loss, logs = method(view_a, view_b)``, ``on_step_end``, ``encoder``."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn


class ContrastiveMethod(nn.Module):
    """Base of SimCLR, MoCo and BYOL.

    A method composes an ``encoder`` (any module mapping an adapter's batch — a tensor or a dict of tensors
    — to an ``(N, D)`` tensor) with heads, a loss and, where the method has them, a momentum queue and an
    EMA target. ``forward(view_a, view_b)`` returns ``(loss, logs)``; ``on_step_end(step)`` must be called
    once per optimizer step, after ``optimizer.step()``. ``encoder`` is what gets saved and published.
    """

    encoder: nn.Module

    def forward(self, view_a: Any, view_b: Any) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        raise NotImplementedError

    def on_step_end(self, step: int) -> None:
        """Bookkeeping after an optimizer step (EMA update, enqueue). Nothing by default."""

    def set_total_steps(self, total_steps: int) -> None:
        """Called by the trainer once the run length is known (for momentum schedules). Nothing by default."""


def embedding_std(z: torch.Tensor) -> torch.Tensor:
    """Mean per-dimension std of L2-normalised embeddings: about 1/sqrt(D) when healthy, 0 when collapsed."""
    return F.normalize(z.detach().float(), dim=-1).std(dim=0).mean()
