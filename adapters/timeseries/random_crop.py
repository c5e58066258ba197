"""Random crop to a fixed length (TS2Vec-style random sub-series; Mehari & Strodthoff 2022 crop 2.5 s of 10 s).

Example:
    >>> import torch
    >>> RandomCrop(length=250)(torch.randn(4, 12, 1000)).shape
    torch.Size([4, 12, 250])
"""

from __future__ import annotations

import torch
from torch import nn

from mmcl.adapters.timeseries.random_augmentation import check_batch


class RandomCrop(nn.Module):
    """Crop every sample to ``length`` timestamps: at a random start with probability ``p``, else centred.

    The output length is the same for the whole batch, so a sample that is not randomly cropped gets the
    deterministic centre crop (the evaluation-time crop) rather than being left uncropped.

    Args:
        length: Timestamps kept.
        p: Probability that a sample's crop starts at a random position rather than the centre.
    """

    def __init__(self, length: int, p: float = 1.0) -> None:
        super().__init__()
        if length < 1:
            raise ValueError(f"RandomCrop: length must be >= 1, got {length}")
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"RandomCrop: p must be in [0, 1], got {p}")
        self.length = length
        self.p = p

    def forward(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """Crop ``x`` ``(batch, leads, time)`` to ``(batch, leads, length)``."""
        check_batch(x, generator, "RandomCrop", min_length=self.length)
        batch, leads, total = x.shape
        room = total - self.length
        random_start = (
            (torch.rand(batch, device=x.device, generator=generator) * (room + 1)).long().clamp(max=room)
        )
        selected = torch.rand(batch, device=x.device, generator=generator) < self.p
        start = torch.where(selected, random_start, torch.full_like(random_start, room // 2))
        index = start[:, None] + torch.arange(self.length, device=x.device)
        return x.gather(2, index[:, None, :].expand(batch, leads, self.length))

    def extra_repr(self) -> str:
        return f"length={self.length}, p={self.p}"
