"""Per-lead amplitude scaling: each lead multiplied by its own N(1, sigma^2) factor.

Um et al. 2017 ("scaling"; sigma = 0.1 in Iwana & Uchida's survey, PLOS ONE 2021); TS-TCC's weak
augmentation (Eldele et al., IJCAI 2021) scales each channel likewise.

Example:
    >>> import torch
    >>> AmplitudeScaling(sigma=0.1, p=1.0)(torch.ones(2, 12, 4)).shape
    torch.Size([2, 12, 4])
"""

from __future__ import annotations

import torch

from mmcl.adapters.timeseries.random_augmentation import RandomAugmentation


class AmplitudeScaling(RandomAugmentation):
    """Multiply each lead of each sample by a factor drawn from N(1, sigma^2).

    Args:
        sigma: Standard deviation of the factors.
        p: Probability that a sample is scaled.
    """

    def __init__(self, sigma: float = 0.1, p: float = 0.5) -> None:
        super().__init__(p)
        if sigma < 0:
            raise ValueError(f"AmplitudeScaling: sigma must be >= 0, got {sigma}")
        self.sigma = sigma

    def augment(self, x: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        factors = 1.0 + self.sigma * torch.randn(
            (x.shape[0], x.shape[1], 1), device=x.device, dtype=x.dtype, generator=generator
        )
        return x * factors

    def extra_repr(self) -> str:
        return f"sigma={self.sigma}, p={self.p}"
