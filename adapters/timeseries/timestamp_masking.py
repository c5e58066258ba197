"""Timestamp masking with a binomial mask, TS2Vec's training-time masking (Yue et al., AAAI 2022).

TS2Vec masks the latent vectors of random timestamps (each with probability 0.5) during training. Here it is
an augmentation of the input, applied to views before the encoder, never inside ``forward``: the masked
timestamps are zeroed on every lead.

Example:
    >>> import torch
    >>> TimestampMasking(mask_ratio=0.5, p=1.0)(torch.ones(2, 3, 10)).shape
    torch.Size([2, 3, 10])
"""

from __future__ import annotations

import torch

from mmcl.adapters.timeseries.random_augmentation import RandomAugmentation


class TimestampMasking(RandomAugmentation):
    """Zero each timestamp (all leads) independently with probability ``mask_ratio``.

    Args:
        mask_ratio: Probability that a timestamp is masked (TS2Vec: 0.5).
        p: Probability that a sample is masked at all.
    """

    def __init__(self, mask_ratio: float = 0.5, p: float = 1.0) -> None:
        super().__init__(p)
        if not 0.0 <= mask_ratio <= 1.0:
            raise ValueError(f"TimestampMasking: mask_ratio must be in [0, 1], got {mask_ratio}")
        self.mask_ratio = mask_ratio

    def augment(self, x: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        masked = (
            torch.rand((x.shape[0], 1, x.shape[2]), device=x.device, generator=generator) < self.mask_ratio
        )
        return x.masked_fill(masked, 0.0)

    def extra_repr(self) -> str:
        return f"mask_ratio={self.mask_ratio}, p={self.p}"
