"""Time out: one random contiguous segment set to zero on all leads.

Mehari & Strodthoff, "Self-supervised representation learning from 12-lead ECG data" (Computers in Biology
and Medicine 2022), where random resized crop + time out was the best ECG augmentation pair.

Example:
    >>> import torch
    >>> TimeOut(ratio=(0.1, 0.5), p=1.0)(torch.ones(2, 12, 100)).shape
    torch.Size([2, 12, 100])
"""

from __future__ import annotations

import torch

from mmcl.adapters.timeseries.random_augmentation import RandomAugmentation, uniform


class TimeOut(RandomAugmentation):
    """Zero a contiguous segment of ``ratio`` of the series (at least one timestamp) at a random start.

    Args:
        ratio: Fraction of the series zeroed, or a ``(low, high)`` range to draw it from per sample.
        p: Probability that a sample gets a time out.
    """

    def __init__(self, ratio: float | tuple[float, float] = (0.0, 0.5), p: float = 0.5) -> None:
        super().__init__(p)
        low, high = (ratio, ratio) if isinstance(ratio, (int, float)) else ratio
        if not 0.0 <= low <= high <= 1.0:
            raise ValueError(f"TimeOut: ratio must be in [0, 1] (a range with low <= high), got {ratio}")
        self.ratio = (float(low), float(high))

    def augment(self, x: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        batch, _, length = x.shape
        segment = (uniform((batch, 1), *self.ratio, x.device, generator) * length).round().clamp(1, length)
        start = (uniform((batch, 1), 0.0, 1.0, x.device, generator) * (length - segment + 1)).floor()
        timestamps = torch.arange(length, device=x.device)
        zeroed = (timestamps >= start) & (timestamps < start + segment)
        return x.masked_fill(zeroed[:, None, :], 0.0)

    def extra_repr(self) -> str:
        return f"ratio={self.ratio}, p={self.p}"
