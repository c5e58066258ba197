"""Smooth random curves around 1: the warping curves of magnitude warp and time warp.

As in Um et al., "Data Augmentation of Wearable Sensor Data for Parkinson's Disease Monitoring using
Convolutional Neural Networks" (ICMI 2017) and Iwana & Uchida's implementation (PLOS ONE 2021): values drawn
from N(1, sigma^2) at ``knots + 2`` evenly spaced points (both ends included) and joined by a cubic
interpolation — here the cubic convolution of ``torch.nn.functional.interpolate(mode="bicubic")`` on a
one-row image, so a whole batch of curves is one call on the device.

Example:
    >>> import torch
    >>> smooth_random_curves(4, 3, 100, knots=4, sigma=0.2, like=torch.zeros(1)).shape
    torch.Size([4, 3, 100])
"""

from __future__ import annotations

import torch
from torch.nn import functional as F


def smooth_random_curves(
    batch: int,
    curves: int,
    length: int,
    knots: int,
    sigma: float,
    like: torch.Tensor,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """``(batch, curves, length)`` smooth curves through N(1, sigma^2) values at ``knots + 2`` points.

    Args:
        batch: Number of samples.
        curves: Curves per sample (1 for a time warp shared by all leads, ``leads`` for magnitude warp).
        length: Points per curve.
        knots: Interior knots; the curve also has a random value at each end.
        sigma: Standard deviation of the knot values around 1.
        like: Tensor whose dtype and device the curves take.
        generator: Optional generator on ``like``'s device.
    """
    values = 1.0 + sigma * torch.randn(
        (batch * curves, 1, 1, knots + 2), device=like.device, dtype=torch.float32, generator=generator
    )
    smooth = F.interpolate(values, size=(1, length), mode="bicubic", align_corners=True)
    return smooth.view(batch, curves, length).to(like.dtype)
