"""Time shift: each series rotated in time by a random non-zero number of timestamps.

A circular shift (what falls off one end re-enters at the other), as the "shift" of e.g. Um et al. 2017's
family of label-preserving transformations; a beat-aligned or windowed series keeps its content.

Example:
    >>> import torch
    >>> TimeShift(max_shift=0.1, p=1.0)(torch.arange(10.0).view(1, 1, 10)).shape
    torch.Size([1, 1, 10])
"""

from __future__ import annotations

import torch

from mmcl.adapters.timeseries.random_augmentation import RandomAugmentation


class TimeShift(RandomAugmentation):
    """Roll each sample by ``s`` timestamps, ``1 <= |s| <= max(1, round(max_shift * time))``, random sign.

    Args:
        max_shift: Largest shift as a fraction of the series length.
        p: Probability that a sample is shifted.
    """

    min_length = 2

    def __init__(self, max_shift: float = 0.1, p: float = 0.5) -> None:
        super().__init__(p)
        if not 0.0 < max_shift < 1.0:
            raise ValueError(f"TimeShift: max_shift must be a fraction in (0, 1), got {max_shift}")
        self.max_shift = max_shift

    def augment(self, x: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        batch, leads, length = x.shape
        largest = min(max(1, round(self.max_shift * length)), length - 1)
        magnitude = torch.randint(1, largest + 1, (batch, 1), device=x.device, generator=generator)
        sign = torch.randint(0, 2, (batch, 1), device=x.device, generator=generator) * 2 - 1
        source = (torch.arange(length, device=x.device) - sign * magnitude) % length
        return x.gather(2, source[:, None, :].expand(batch, leads, length))

    def extra_repr(self) -> str:
        return f"max_shift={self.max_shift}, p={self.p}"
