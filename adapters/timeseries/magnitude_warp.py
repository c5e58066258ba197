"""Magnitude warp: each lead multiplied by a smooth random curve around 1.

Um et al. 2017; Iwana & Uchida, "An empirical survey of data augmentation for time series classification
with neural networks" (PLOS ONE 2021), whose defaults are sigma = 0.2 and 4 knots.

Example:
    >>> import torch
    >>> MagnitudeWarp(sigma=0.2, knots=4, p=1.0)(torch.ones(2, 3, 64)).shape
    torch.Size([2, 3, 64])
"""

from __future__ import annotations

import torch

from mmcl.adapters.timeseries.random_augmentation import RandomAugmentation
from mmcl.adapters.timeseries.smooth_random_curves import smooth_random_curves


class MagnitudeWarp(RandomAugmentation):
    """Multiply each lead by its own cubic curve through N(1, sigma^2) values at ``knots + 2`` points.

    Args:
        sigma: Standard deviation of the curve's knot values around 1.
        knots: Interior knots of the curve.
        p: Probability that a sample is warped.
    """

    def __init__(self, sigma: float = 0.2, knots: int = 4, p: float = 0.5) -> None:
        super().__init__(p)
        if sigma < 0 or knots < 0:
            raise ValueError(f"MagnitudeWarp: need sigma >= 0 and knots >= 0, got {sigma} and {knots}")
        self.sigma = sigma
        self.knots = knots

    def augment(self, x: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        batch, leads, length = x.shape
        return x * smooth_random_curves(batch, leads, length, self.knots, self.sigma, x, generator)

    def extra_repr(self) -> str:
        return f"sigma={self.sigma}, knots={self.knots}, p={self.p}"
