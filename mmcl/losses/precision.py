"""The precision losses compute in: float32 at least, whatever the autocast or input dtype."""

from __future__ import annotations

import torch


def at_least_float32(x: torch.Tensor) -> torch.Tensor:
    """``x`` in float32, or float64 if it already is: half-precision logits overflow at small temperatures,
    and F.normalize's eps underflows to zero in float16."""
    return x if x.dtype == torch.float64 else x.float()
