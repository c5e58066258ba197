"""Multi-crop views (Caron et al., 2020, SwAV): two global crops plus several small, low-resolution crops.

The global crops cover 14-100 % of the image at the full output size, the local crops 5-14 % at a smaller
size (SwAV's ImageNet setting: 2 x 224 + 6 x 96); each crop gets the preset's colour, blur and solarize
augmentations. The two global crops follow the preset's two views (BYOL's asymmetric pair included).

Example:
    >>> import torch
    >>> multi_crop = MultiCrop("simclr", global_size=32, local_size=16, local_crops=4)
    >>> views = multi_crop(torch.randint(0, 256, (8, 3, 32, 32), dtype=torch.uint8))
    >>> [tuple(view.shape[-2:]) for view in views]
    [(32, 32), (32, 32), (16, 16), (16, 16), (16, 16), (16, 16)]
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from mmcl.adapters.image.augmentation_presets import image_augmentations, view_augmentations


class MultiCrop(nn.Module):
    """Two global views and ``local_crops`` local views of a uint8 ``(B, 3, H, W)`` batch.

    Args:
        preset: augmentation preset of every crop (``"simclr"``, ``"moco_v2"``, ``"byol"``).
        global_size: side of the two global views, in pixels.
        local_size: side of the local views, in pixels.
        local_crops: number of local views (0 gives the two global views only).
        global_scale: area range of the global crops, as a share of the image.
        local_scale: area range of the local crops.
        **overrides: further `AugmentationSettings` fields, applied to every crop.
    """

    def __init__(
        self,
        preset: str,
        global_size: int,
        local_size: int,
        local_crops: int,
        global_scale: tuple[float, float] = (0.14, 1.0),
        local_scale: tuple[float, float] = (0.05, 0.14),
        **overrides: Any,
    ) -> None:
        super().__init__()
        if local_crops < 0:
            raise ValueError(f"MultiCrop: local_crops must be >= 0, got {local_crops}")
        first, second = view_augmentations(preset, global_size, crop_scale=global_scale, **overrides)
        self.global_views = nn.ModuleList([first, second])
        self.local_view = image_augmentations(preset, local_size, crop_scale=local_scale, **overrides)
        self.local_crops = local_crops

    def forward(self, images: torch.Tensor) -> list[torch.Tensor]:
        """The global views, then the local views: float32 in ``[0, 1]`` on the batch's device."""
        views = [augment(images) for augment in self.global_views]
        return views + [self.local_view(images) for _ in range(self.local_crops)]

    def extra_repr(self) -> str:
        return f"local_crops={self.local_crops}"
