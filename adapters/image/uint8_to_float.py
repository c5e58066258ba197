"""The first step of every image pipeline: uint8 pixels in, float32 in [0, 1] out, on the batch's device.

Example:
    >>> import torch
    >>> UInt8ToFloat()(torch.full((2, 3, 4, 4), 255, dtype=torch.uint8)).max().item()
    1.0
"""

from __future__ import annotations

import torch
from torch import nn


class UInt8ToFloat(nn.Module):
    """Convert a ``(B, 3, H, W)`` uint8 batch to float32 in ``[0, 1]`` (kornia augments floats only).

    A float batch is rejected rather than guessed at: its range (``[0, 1]`` or ``[0, 255]``) is ambiguous.
    """

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """``images / 255`` as float32, after checking the shape and dtype."""
        if images.dtype != torch.uint8:
            raise ValueError(
                f"image augmentations take uint8 pixels (0..255), got {images.dtype}; pass the adapter's "
                "collated batch, or convert with (images * 255).round().to(torch.uint8)"
            )
        if images.ndim != 4 or images.shape[1] != 3:
            raise ValueError(
                f"image augmentations take a (batch, 3, height, width) RGB batch, got shape {tuple(images.shape)}"
            )
        return images.float().div_(255.0)
