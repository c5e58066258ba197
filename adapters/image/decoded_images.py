"""A split decoded once into memory: uint8 pixels ``(N, 3, S, S)``, class ids and class names.

Augmentations and the encoder read batches straight from this tensor (``pixels[indices]``), so an epoch costs
no decoding at all; CIFAR-10's 50,000 training images take 150 MB.

Example:
    >>> import numpy as np
    >>> images = images_from_array(np.zeros((4, 32, 32, 3), dtype=np.uint8), labels=[0, 1, 0, 1])
    >>> images.pixels.shape, images.num_classes
    (torch.Size([4, 3, 32, 32]), 2)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F


@dataclass
class DecodedImages:
    """Images of one split in memory.

    Attributes:
        pixels: ``(N, 3, S, S)`` uint8 RGB.
        labels: ``(N,)`` int64 class ids, or None for unlabelled images.
        class_names: the name of each class id (folder names; ``"0"``, ``"1"``, ... for numeric labels).
        source: where the images came from, for messages and the model card.
    """

    pixels: torch.Tensor
    labels: torch.Tensor | None
    class_names: list[str] = field(default_factory=list)
    source: str = ""

    def __post_init__(self) -> None:
        if self.pixels.dtype != torch.uint8 or self.pixels.ndim != 4 or self.pixels.shape[1] != 3:
            raise ValueError(
                f"{self.source or 'images'}: expected uint8 pixels of shape (N, 3, S, S), got "
                f"{self.pixels.dtype} {tuple(self.pixels.shape)}"
            )
        if self.labels is not None and self.labels.shape != (self.pixels.shape[0],):
            raise ValueError(
                f"{self.source or 'images'}: {self.pixels.shape[0]} images but labels of shape {tuple(self.labels.shape)}"
            )

    def __len__(self) -> int:
        return self.pixels.shape[0]

    @property
    def num_classes(self) -> int:
        """Number of distinct classes (0 when unlabelled)."""
        return 0 if self.labels is None else len(self.class_names)

    def subset(self, indices: torch.Tensor) -> DecodedImages:
        """The images at ``indices``, with the same class names."""
        labels = None if self.labels is None else self.labels[indices]
        return DecodedImages(self.pixels[indices], labels, self.class_names, self.source)


def images_from_array(
    array: np.ndarray | torch.Tensor,
    labels: Sequence[int] | np.ndarray | torch.Tensor | None = None,
    *,
    size: int | None = None,
    source: str = "array",
) -> DecodedImages:
    """`DecodedImages` from a uint8 array of images: ``(N, H, W, 3)``, ``(N, 3, H, W)`` or greyscale
    ``(N, H, W)``; with ``size``, resized to ``size`` x ``size`` (shorter side, centre crop, antialiased).

    Raises:
        ValueError: the dtype is not uint8 or the shape is none of those above (the message says how to fix it).

    Example:
        >>> images_from_array(np.zeros((2, 28, 28), dtype=np.uint8), size=32).pixels.shape
        torch.Size([2, 3, 32, 32])
    """
    pixels = torch.as_tensor(np.asarray(array) if not isinstance(array, torch.Tensor) else array)
    if pixels.dtype != torch.uint8:
        raise ValueError(
            f"{source}: images must be uint8 (0..255), got {pixels.dtype}; for floats in [0, 1] pass "
            "(array * 255).round().astype(numpy.uint8)"
        )
    if pixels.ndim == 3:
        pixels = pixels[:, None].expand(-1, 3, -1, -1)
    elif pixels.ndim == 4 and pixels.shape[-1] in (1, 3) and pixels.shape[1] not in (1, 3):
        pixels = pixels.permute(0, 3, 1, 2)
    if pixels.ndim != 4 or pixels.shape[1] not in (1, 3):
        raise ValueError(
            f"{source}: expected images of shape (N, H, W, 3), (N, 3, H, W) or (N, H, W), got {tuple(pixels.shape)}"
        )
    pixels = pixels.expand(-1, 3, -1, -1).contiguous()
    if size is not None and tuple(pixels.shape[-2:]) != (size, size):
        pixels = resize_pixels(pixels, size)
    label_tensor, class_names = None, []
    if labels is not None:
        values = torch.as_tensor(np.asarray(labels), dtype=torch.int64).reshape(-1)
        classes, label_tensor = torch.unique(values, return_inverse=True)
        class_names = [str(int(c)) for c in classes]
    return DecodedImages(pixels, label_tensor, class_names, source)


def resize_pixels(pixels: torch.Tensor, size: int) -> torch.Tensor:
    """uint8 ``(N, 3, H, W)`` resized so the shorter side is ``size``, then centre-cropped to a square."""
    height, width = pixels.shape[-2:]
    scale = size / min(height, width)
    new_size = (max(size, round(height * scale)), max(size, round(width * scale)))
    resized = F.interpolate(
        pixels.float(), size=new_size, mode="bilinear", antialias=True, align_corners=False
    )
    top, left = (new_size[0] - size) // 2, (new_size[1] - size) // 2
    cropped = resized[..., top : top + size, left : left + size]
    return cropped.round().clamp(0, 255).to(torch.uint8).contiguous()
