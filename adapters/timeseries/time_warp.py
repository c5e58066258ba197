"""Time warp: each series resampled along a smooth random, monotonic time axis.

Um et al. 2017; Iwana & Uchida (PLOS ONE 2021; sigma = 0.2, 4 knots). A smooth random speed curve around 1
(`smooth_random_curves`, kept positive) is integrated into a warped time axis that starts at the first and
ends at the last timestamp, and the series is read there by linear interpolation, so the length is kept
and the warp is monotonic. All leads share a sample's warp.

Example:
    >>> import torch
    >>> TimeWarp(sigma=0.2, knots=4, p=1.0)(torch.randn(2, 12, 500)).shape
    torch.Size([2, 12, 500])
"""

from __future__ import annotations

import torch

from mmcl.adapters.timeseries.random_augmentation import RandomAugmentation
from mmcl.adapters.timeseries.sample_at_positions import sample_at_positions
from mmcl.adapters.timeseries.smooth_random_curves import smooth_random_curves

_MIN_SPEED = 0.05


class TimeWarp(RandomAugmentation):
    """Resample each sample along its own smooth monotonic warp of the time axis.

    Args:
        sigma: Standard deviation of the local speed around 1 (0 is the identity).
        knots: Interior knots of the speed curve.
        p: Probability that a sample is warped.
    """

    min_length = 2

    def __init__(self, sigma: float = 0.2, knots: int = 4, p: float = 0.5) -> None:
        super().__init__(p)
        if sigma < 0 or knots < 0:
            raise ValueError(f"TimeWarp: need sigma >= 0 and knots >= 0, got {sigma} and {knots}")
        self.sigma = sigma
        self.knots = knots

    def augment(self, x: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        batch, _, length = x.shape
        speed = smooth_random_curves(batch, 1, length - 1, self.knots, self.sigma, x, generator)
        steps = speed.squeeze(1).to(torch.float32).clamp(min=_MIN_SPEED)
        elapsed = torch.cat([steps.new_zeros(batch, 1), steps.cumsum(dim=1)], dim=1)
        positions = elapsed * ((length - 1) / elapsed[:, -1:])
        return sample_at_positions(x, positions)

    def extra_repr(self) -> str:
        return f"sigma={self.sigma}, knots={self.knots}, p={self.p}"
