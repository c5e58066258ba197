"""Window slicing: a random window stretched back to the full length (random resized crop).

Le Guennec, Malinowski & Tavenard, "Data Augmentation for Time Series Classification using Convolutional
Neural Networks" (2016); Iwana & Uchida (PLOS ONE 2021) keep 90 % of the series. With a range of ratios it
is the random resized crop that Mehari & Strodthoff, "Self-supervised representation learning from 12-lead
ECG data" (Computers in Biology and Medicine 2022), found best for ECG (with `TimeOut`).

Example:
    >>> import torch
    >>> WindowSlice(ratio=(0.5, 1.0), p=1.0)(torch.randn(2, 12, 500)).shape
    torch.Size([2, 12, 500])
"""

from __future__ import annotations

import torch

from mmcl.adapters.timeseries.random_augmentation import RandomAugmentation, uniform
from mmcl.adapters.timeseries.sample_at_positions import sample_at_positions


class WindowSlice(RandomAugmentation):
    """Take a window of ``ratio`` of the series at a random start and interpolate it to the full length.

    Args:
        ratio: Fraction of the series kept, or a ``(low, high)`` range to draw it from per sample.
        p: Probability that a sample is sliced.
    """

    min_length = 2

    def __init__(self, ratio: float | tuple[float, float] = 0.9, p: float = 0.5) -> None:
        super().__init__(p)
        low, high = (ratio, ratio) if isinstance(ratio, (int, float)) else ratio
        if not 0.0 < low <= high <= 1.0:
            raise ValueError(f"WindowSlice: ratio must be in (0, 1] (a range with low <= high), got {ratio}")
        self.ratio = (float(low), float(high))

    def augment(self, x: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        batch, _, length = x.shape
        span = uniform((batch, 1), self.ratio[0], self.ratio[1], x.device, generator) * (length - 1)
        start = uniform((batch, 1), 0.0, 1.0, x.device, generator) * (length - 1 - span)
        fractions = torch.linspace(0.0, 1.0, length, device=x.device)
        return sample_at_positions(x, start + span * fractions)

    def extra_repr(self) -> str:
        return f"ratio={self.ratio}, p={self.p}"
