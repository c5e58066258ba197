"""Learning-rate schedules: linear warmup, then cosine, linear or constant, stepped once per optimizer step.

The multipliers follow ``transformers``' ``get_cosine_schedule_with_warmup`` / ``get_linear_schedule_with_warmup``
/ ``get_constant_schedule_with_warmup`` exactly (warmup starts at 0 and reaches the base lr after
``warmup_steps``), with an optional floor ``final_lr_ratio`` for cosine and linear decay. The multiplier is a
small picklable object, so ``LambdaLR.state_dict()`` carries it into checkpoints.

Example:
    >>> import torch
    >>> from mmcl.optim.schedules import ScheduleOptions, build_scheduler
    >>> optimizer = torch.optim.SGD(torch.nn.Linear(2, 2).parameters(), lr=0.1)
    >>> scheduler = build_scheduler(optimizer, ScheduleOptions(name="cosine", warmup_steps=10), total_steps=100)
    >>> [group["lr"] for group in optimizer.param_groups]  # step 0 of the warmup
    [0.0]
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import torch
from torch.optim.lr_scheduler import LambdaLR


@dataclass
class ScheduleOptions:
    """The recipe's ``schedule:`` section.

    Attributes:
        name: ``cosine`` (half-cosine decay), ``linear`` (linear decay) or ``constant`` after the warmup.
        warmup_steps: optimizer steps of linear warmup from 0 to the base learning rate.
        final_lr_ratio: learning rate at the last step, as a fraction of the base one (cosine and linear).
    """

    name: Literal["cosine", "linear", "constant"] = "cosine"
    warmup_steps: int = 0
    final_lr_ratio: float = 0.0

    def __post_init__(self) -> None:
        if self.warmup_steps < 0:
            raise ValueError(f"warmup_steps must be >= 0, got {self.warmup_steps}")
        if not 0.0 <= self.final_lr_ratio <= 1.0:
            raise ValueError(f"final_lr_ratio must be in [0, 1], got {self.final_lr_ratio}")


@dataclass
class WarmupThenDecay:
    """Learning-rate multiplier as a function of the number of completed optimizer steps."""

    decay: Literal["cosine", "linear", "constant"]
    warmup_steps: int
    total_steps: int
    final_lr_ratio: float

    def __call__(self, step: int) -> float:
        if step < self.warmup_steps:
            return step / max(1, self.warmup_steps)
        if self.decay == "constant":
            return 1.0
        progress = min(1.0, (step - self.warmup_steps) / max(1, self.total_steps - self.warmup_steps))
        remaining = 0.5 * (1.0 + math.cos(math.pi * progress)) if self.decay == "cosine" else 1.0 - progress
        return self.final_lr_ratio + (1.0 - self.final_lr_ratio) * remaining


def build_scheduler(optimizer: torch.optim.Optimizer, options: ScheduleOptions, total_steps: int) -> LambdaLR:
    """A ``LambdaLR`` applying ``options`` over ``total_steps`` optimizer steps (a warmup longer than the run
    simply never reaches the decay)."""
    multiplier = WarmupThenDecay(options.name, options.warmup_steps, total_steps, options.final_lr_ratio)
    return LambdaLR(optimizer, multiplier)
