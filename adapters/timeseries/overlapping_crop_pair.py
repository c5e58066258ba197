"""TS2Vec's pair of overlapping random crops ("contextual consistency", Yue et al., AAAI 2022).

Two crops of one series that share an overlap of random length: the first view ends with the overlap and
the second starts with it, so the encoder sees the overlapping timestamps in two different contexts and
TS2Vec contrasts their per-timestamp representations. As in TS2Vec's ``fit``, the crop lengths are drawn once
per batch and every sample is shifted by its own random offset.

Example:
    >>> import torch
    >>> crops = OverlappingCropPair(min_overlap=2)(torch.randn(4, 1, 100))
    >>> a = crops.first[:, :, crops.first_overlap_start :]
    >>> b = crops.second[:, :, : crops.overlap_length]
    >>> bool((a == b).all())
    True
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from mmcl.adapters.timeseries.random_augmentation import check_batch


@dataclass
class OverlappingCrops:
    """Two overlapping crops of a batch and where their overlap is.

    Attributes:
        first: ``(batch, leads, first_length)``; its last ``overlap_length`` timestamps are the overlap.
        second: ``(batch, leads, second_length)``; its first ``overlap_length`` timestamps are the overlap.
        overlap_length: Timestamps shared by the two crops (the same for the whole batch).
        first_overlap_start: Index in ``first`` where the overlap starts (``first_length - overlap_length``).
        overlap_start: ``(batch,)`` index in the input series where each sample's overlap starts.
    """

    first: torch.Tensor
    second: torch.Tensor
    overlap_length: int
    first_overlap_start: int
    overlap_start: torch.Tensor


class OverlappingCropPair(nn.Module):
    """Draw TS2Vec's two overlapping crops of a ``(batch, leads, time)`` batch.

    Args:
        min_overlap: Shortest overlap (TS2Vec: ``2 ** (temporal_unit + 1)``, i.e. 2).
    """

    def __init__(self, min_overlap: int = 2) -> None:
        super().__init__()
        if min_overlap < 1:
            raise ValueError(f"OverlappingCropPair: min_overlap must be >= 1, got {min_overlap}")
        self.min_overlap = min_overlap

    def forward(self, x: torch.Tensor, generator: torch.Generator | None = None) -> OverlappingCrops:
        """Return the two crops of ``x`` and their overlap."""
        check_batch(x, generator, "OverlappingCropPair", min_length=self.min_overlap)
        batch, leads, length = x.shape

        def randint(low: int, high: int, size: int = 1) -> torch.Tensor:  # uniform on [low, high)
            return torch.randint(low, high, (size,), device=x.device, generator=generator)

        overlap = int(randint(self.min_overlap, length + 1))
        overlap_left = int(randint(0, length - overlap + 1))
        overlap_right = overlap_left + overlap
        first_left = int(randint(0, overlap_left + 1))
        second_right = int(randint(overlap_right, length + 1))
        offsets = randint(-first_left, length - second_right + 1, size=batch)

        def crop(left: int, right: int) -> torch.Tensor:
            index = offsets[:, None] + torch.arange(left, right, device=x.device)
            return x.gather(2, index[:, None, :].expand(batch, leads, right - left))

        return OverlappingCrops(
            first=crop(first_left, overlap_right),
            second=crop(overlap_left, second_right),
            overlap_length=overlap,
            first_overlap_start=overlap_left - first_left,
            overlap_start=offsets + overlap_left,
        )

    def extra_repr(self) -> str:
        return f"min_overlap={self.min_overlap}"
