"""Lead dropout: whole leads of a multi-lead series set to zero.

Trains an encoder to cope with missing or reduced lead sets, as the reduced-lead setting of the PhysioNet/CinC
Challenge 2021 (Reyna et al., "Will Two Do? Varying Dimensions in Electrocardiography", CinC 2021); a
channel-level analogue of dropout.

Example:
    >>> import torch
    >>> LeadDropout(rate=0.25, p=1.0)(torch.ones(2, 12, 10)).sum(dim=2).eq(0).sum(dim=1)
    tensor([3, 3])
"""

from __future__ import annotations

import torch

from mmcl.adapters.timeseries.random_augmentation import RandomAugmentation


class LeadDropout(RandomAugmentation):
    """Zero ``round(rate * leads)`` randomly chosen leads per sample (at least one, never all of them).

    Args:
        rate: Fraction of the leads dropped.
        p: Probability that a sample loses leads.
    """

    def __init__(self, rate: float = 0.25, p: float = 0.5) -> None:
        super().__init__(p)
        if not 0.0 < rate < 1.0:
            raise ValueError(f"LeadDropout: rate must be in (0, 1), got {rate}")
        self.rate = rate

    def augment(self, x: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        batch, leads, _ = x.shape
        if leads < 2:
            raise ValueError("LeadDropout needs at least 2 leads (dropping the only lead leaves no signal)")
        dropped = min(max(1, round(self.rate * leads)), leads - 1)
        ranks = torch.rand((batch, leads), device=x.device, generator=generator).argsort(dim=1).argsort(dim=1)
        return x.masked_fill((ranks < dropped)[:, :, None], 0.0)

    def extra_repr(self) -> str:
        return f"rate={self.rate}, p={self.p}"
