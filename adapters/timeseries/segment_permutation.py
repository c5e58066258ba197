"""Segment permutation: the series cut into random segments that are put back in a random order.

TS-TCC's strong augmentation (Eldele et al., "Time-Series Representation Learning via Temporal and
Contextual Contrasting", IJCAI 2021; Um et al. 2017). Here a sample always gets 2..``max_segments`` segments
and a non-identity order, so every permuted sample really changes.

Example:
    >>> import torch
    >>> SegmentPermutation(max_segments=5, p=1.0)(torch.randn(2, 12, 100)).shape
    torch.Size([2, 12, 100])
"""

from __future__ import annotations

import torch

from mmcl.adapters.timeseries.random_augmentation import RandomAugmentation


class SegmentPermutation(RandomAugmentation):
    """Split each sample at random cut points into 2..``max_segments`` segments and shuffle them.

    Args:
        max_segments: Largest number of segments (TS-TCC uses 5 to 10).
        p: Probability that a sample is permuted.
    """

    min_length = 2

    def __init__(self, max_segments: int = 5, p: float = 0.5) -> None:
        super().__init__(p)
        if max_segments < 2:
            raise ValueError(f"SegmentPermutation: max_segments must be >= 2, got {max_segments}")
        self.max_segments = max_segments

    def augment(self, x: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        batch, leads, length = x.shape
        device = x.device
        most = min(self.max_segments, length)
        segments = torch.randint(2, most + 1, (batch, 1), device=device, generator=generator)

        # Distinct cut points in 1..length-1; only the first ``segments - 1`` of them are used.
        cuts = (
            torch.rand((batch, length - 1), device=device, generator=generator).argsort(dim=1)[:, : most - 1]
            + 1
        )
        cuts = torch.where(torch.arange(most - 1, device=device) < segments - 1, cuts, length)
        timestamps = torch.arange(length, device=device)
        segment_of = (cuts[:, None, :] <= timestamps[None, :, None]).sum(dim=2)  # (batch, length)

        # A random order of the segments, replaced by a rotation where it happens to be the identity.
        slots = torch.arange(most, device=device).expand(batch, most)
        used = slots < segments
        keys = torch.rand((batch, most), device=device, generator=generator).masked_fill(~used, 2.0)
        order = keys.argsort(dim=1).argsort(dim=1)  # new rank of each segment
        identity = ((order == slots) | ~used).all(dim=1, keepdim=True)
        rotated = torch.where(used, (slots + 1) % segments, slots)
        order = torch.where(identity, rotated, order)

        sort_key = order.gather(1, segment_of) * length + timestamps
        new_order = sort_key.argsort(dim=1)
        return x.gather(2, new_order[:, None, :].expand(batch, leads, length))

    def extra_repr(self) -> str:
        return f"max_segments={self.max_segments}, p={self.p}"
