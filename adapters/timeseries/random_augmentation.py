"""The base of the batched time-series augmentations: each sample is augmented with probability ``p``.

Augmentations take a whole ``(batch, leads, time)`` tensor on the training device, draw every per-sample
random parameter at once from an optional `torch.Generator` on that device (seed it for reproducible
views), and never loop over samples in Python. A subclass implements `RandomAugmentation.augment`, which
transforms every sample; ``forward`` keeps the transformed sample where a per-sample Bernoulli(``p``) draw
says so and the input elsewhere.

Example:
    >>> import torch
    >>> from mmcl.adapters.timeseries import GaussianJitter
    >>> generator = torch.Generator().manual_seed(0)
    >>> GaussianJitter(p=0.5, sigma=0.1)(torch.zeros(8, 12, 500), generator).shape
    torch.Size([8, 12, 500])
"""

from __future__ import annotations

from typing import ClassVar

import torch
from torch import nn


class RandomAugmentation(nn.Module):
    """Apply `augment` to each sample of a batch with probability ``p``.

    Args:
        p: Probability that a given sample is augmented, in [0, 1].
    """

    min_length: ClassVar[int] = 1
    """Shortest series the augmentation accepts."""

    def __init__(self, p: float) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"{type(self).__name__}: p must be in [0, 1], got {p}")
        self.p = p

    def forward(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """Augment ``x`` ``(batch, leads, time)``; returns a tensor of the same shape, dtype and device."""
        check_batch(x, generator, type(self).__name__, self.min_length)
        augmented = self.augment(x, generator)
        selected = torch.rand(x.shape[0], device=x.device, generator=generator) < self.p
        return torch.where(selected[:, None, None], augmented, x)

    def augment(self, x: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        """Return every sample of ``x`` transformed (subclasses implement this)."""
        raise NotImplementedError

    def extra_repr(self) -> str:
        return f"p={self.p}"


def check_batch(x: torch.Tensor, generator: torch.Generator | None, name: str, min_length: int = 1) -> None:
    """Fail early unless ``x`` is a floating ``(batch, leads, time)`` tensor on the generator's device."""
    if x.ndim != 3:
        raise ValueError(f"{name} expects a (batch, leads, time) tensor, got shape {tuple(x.shape)}")
    if not x.is_floating_point():
        raise ValueError(f"{name} expects a floating-point tensor, got {x.dtype}")
    if x.shape[-1] < min_length:
        raise ValueError(f"{name} needs series of at least {min_length} timestamps, got {x.shape[-1]}")
    if generator is not None and generator.device.type != x.device.type:
        raise ValueError(
            f"{name}: the generator is on {generator.device} but the batch is on {x.device}; "
            f"create it with torch.Generator(device=x.device)"
        )


def uniform(
    shape: tuple[int, ...], low: float, high: float, device: torch.device, generator: torch.Generator | None
) -> torch.Tensor:
    """float32 draws from U[low, high) on ``device`` (random parameters, whatever the batch's dtype)."""
    return low + (high - low) * torch.rand(shape, device=device, generator=generator)
