"""Chaining batched augmentations into one view generator.

Example:
    >>> import torch
    >>> from mmcl.adapters.timeseries import AmplitudeScaling, Compose, GaussianJitter
    >>> view = Compose([GaussianJitter(sigma=0.03), AmplitudeScaling(sigma=0.1)])
    >>> view(torch.randn(8, 12, 500), torch.Generator().manual_seed(0)).shape
    torch.Size([8, 12, 500])
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn


class Compose(nn.Module):
    """Apply augmentations in order, all drawing from the same generator.

    Args:
        augmentations: Modules called as ``augmentation(x, generator)`` that map a ``(batch, leads, time)``
            tensor to another (length-changing ones such as `RandomCrop` included).
    """

    def __init__(self, augmentations: Sequence[nn.Module]) -> None:
        super().__init__()
        self.augmentations = nn.ModuleList(augmentations)

    def forward(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """Return ``x`` passed through every augmentation."""
        for augmentation in self.augmentations:
            x = augmentation(x, generator)
        return x
