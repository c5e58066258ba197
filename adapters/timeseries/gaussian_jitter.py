"""Gaussian jitter: additive white noise (Um et al. 2017; TS-TCC's weak augmentation, Eldele et al. 2021).

Example:
    >>> import torch
    >>> GaussianJitter(sigma=0.03, p=1.0)(torch.zeros(2, 1, 4)).shape
    torch.Size([2, 1, 4])
"""

from __future__ import annotations

import torch

from mmcl.adapters.timeseries.random_augmentation import RandomAugmentation


class GaussianJitter(RandomAugmentation):
    """Add N(0, sigma^2) noise independently to every timestamp of every lead.

    Args:
        sigma: Noise standard deviation, in signal units (a z-normalised lead has std 1).
        p: Probability that a sample is jittered.
    """

    def __init__(self, sigma: float = 0.03, p: float = 0.5) -> None:
        super().__init__(p)
        if sigma < 0:
            raise ValueError(f"GaussianJitter: sigma must be >= 0, got {sigma}")
        self.sigma = sigma

    def augment(self, x: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        noise = torch.randn(x.shape, device=x.device, dtype=x.dtype, generator=generator)
        return x + self.sigma * noise

    def extra_repr(self) -> str:
        return f"sigma={self.sigma}, p={self.p}"
