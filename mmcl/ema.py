"""Exponential moving average (EMA) targets: MoCo's key encoder, BYOL's target network.

References:
    He et al., "Momentum Contrast for Unsupervised Visual Representation Learning", CVPR 2020.
    Grill et al., "Bootstrap Your Own Latent", NeurIPS 2020 (cosine momentum schedule).
"""

from __future__ import annotations

import copy
import math
from typing import Literal

import torch
from torch import nn


class EMA(nn.Module):
    """A frozen copy of ``module`` whose parameters follow it by exponential moving average.

    ``update(step)`` sets ``target = m * target + (1 - m) * online`` with ``torch._foreach_lerp_`` over all
    parameters at once. Buffers (BatchNorm running statistics) are copied from the online module by default
    or averaged with ``buffers="average"``. The momentum is constant or follows BYOL's cosine schedule from
    ``momentum`` to 1.0 over ``total_steps``. Call ``update`` once per optimizer step: a repeated call with
    the same step (e.g. once per micro-batch under gradient accumulation) does nothing. The target lives in
    ``state_dict`` (as ``target.*``) together with the last updated step.

    Example:
        >>> online = nn.Linear(8, 4)
        >>> ema = EMA(online, momentum=0.99, schedule="cosine", total_steps=1000)
        >>> ema.update(step=0)
        >>> out = ema(torch.randn(2, 8))  # runs the target, without gradient
    """

    def __init__(
        self,
        module: nn.Module,
        momentum: float = 0.996,
        *,
        schedule: Literal["constant", "cosine"] = "constant",
        total_steps: int | None = None,
        buffers: Literal["copy", "average"] = "copy",
    ) -> None:
        super().__init__()
        if not 0.0 <= momentum <= 1.0:
            raise ValueError(f"momentum must be in [0, 1], got {momentum!r}")
        if schedule not in ("constant", "cosine"):
            raise ValueError(f"schedule must be 'constant' or 'cosine', got {schedule!r}")
        if buffers not in ("copy", "average"):
            raise ValueError(f"buffers must be 'copy' or 'average', got {buffers!r}")
        self.base_momentum = momentum
        self.schedule = schedule
        self.total_steps = total_steps
        self.buffer_mode = buffers
        self._online = (module,)  # a tuple, so the online module is not registered twice
        self.target = copy.deepcopy(module).requires_grad_(False)
        self.register_buffer("last_step", torch.tensor(-1, dtype=torch.long))

    def momentum_at(self, step: int) -> float:
        """The momentum used at optimizer step ``step`` (0-based)."""
        if self.schedule == "constant":
            return self.base_momentum
        if not self.total_steps:
            raise ValueError(
                "the cosine momentum schedule needs total_steps; pass it or call set_total_steps"
            )
        progress = min(step, self.total_steps) / self.total_steps
        return 1.0 - (1.0 - self.base_momentum) * (math.cos(math.pi * progress) + 1.0) / 2.0

    def set_total_steps(self, total_steps: int) -> None:
        """Length of the cosine schedule, when it is only known once the data is loaded."""
        self.total_steps = total_steps

    @torch.no_grad()
    def update(self, step: int) -> None:
        """Move the target towards the online module with the momentum of ``step``."""
        if step == int(self.last_step):
            return
        weight = 1.0 - self.momentum_at(step)
        online = self._online[0]
        target_parameters = list(self.target.parameters())
        online_parameters = [p.detach() for p in online.parameters()]
        if len(target_parameters) != len(online_parameters):
            raise ValueError("the online module's parameters changed since the EMA target was created")
        torch._foreach_lerp_(target_parameters, online_parameters, weight)
        for target_buffer, online_buffer in zip(self.target.buffers(), online.buffers(), strict=True):
            if self.buffer_mode == "average" and target_buffer.is_floating_point():
                target_buffer.lerp_(online_buffer, weight)
            else:
                target_buffer.copy_(online_buffer)
        self.last_step.fill_(step)

    @torch.no_grad()
    def forward(self, *args, **kwargs):
        return self.target(*args, **kwargs)
