"""The strengths of the image augmentations, and the published settings of SimCLR, MoCo v2 and BYOL.

Each preset is the paper's ImageNet setting, the same as lightly's transforms of the same name:

- ``simclr`` (Chen et al., 2020, appendix A): random resized crop with scale 0.08-1, horizontal flip, colour
  jitter of strength 1 (brightness, contrast, saturation 0.8, hue 0.2) with p = 0.8, grayscale p = 0.2,
  Gaussian blur with sigma 0.1-2 and p = 0.5;
- ``moco_v2`` (Chen et al., 2020, "Improved Baselines with Momentum Contrastive Learning"): crop scale
  0.2-1, colour jitter 0.4 / 0.4 / 0.4 / 0.1 with p = 0.8, grayscale p = 0.2, blur p = 0.5, flip;
- ``byol`` (Grill et al., 2020, table 6): crop scale 0.08-1, flip, colour jitter 0.4 / 0.4 / 0.2 / 0.1 with
  p = 0.8, grayscale p = 0.2, and asymmetric views: blur p = 1.0 and solarize p = 0 for the first view,
  blur p = 0.1 and solarize p = 0.2 for the second (``byol_second_view``).

For images of 32 pixels or less (CIFAR) the blur is turned off, as in SimCLR's CIFAR-10 experiments and
lightly's CIFAR-10 benchmark; any field can be overridden by name.

Example:
    >>> settings = preset_settings("simclr", size=224)
    >>> settings.gaussian_blur, settings.brightness
    (0.5, 0.8)
    >>> preset_settings("simclr", size=32).gaussian_blur
    0.0
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

SMALL_IMAGE_SIZE = 32
"""At or below this side length (CIFAR, 32 x 32) the presets turn the Gaussian blur off."""


@dataclass(frozen=True)
class AugmentationSettings:
    """Probabilities and strengths of one view's augmentations; probabilities are per image.

    Attributes:
        crop_scale: range of the crop's area as a share of the image (random resized crop).
        crop_ratio: range of the crop's aspect ratio.
        horizontal_flip: probability of a left-right flip.
        color_jitter: probability of colour jitter (brightness, contrast, saturation, hue in random order).
        brightness, contrast, saturation: jitter factors drawn from ``[1 - x, 1 + x]``.
        hue: hue shift drawn from ``[-x, x]`` (a share of the colour circle, at most 0.5).
        grayscale: probability of converting to grayscale (kept as 3 equal channels).
        gaussian_blur: probability of a Gaussian blur.
        blur_sigma: range of the blur's standard deviation, in pixels.
        blur_kernel_share: the blur kernel's side as a share of the output size (rounded to an odd size >= 3).
        solarize: probability of solarization (pixels >= ``solarize_threshold`` become ``1 - x``).
        solarize_threshold: the solarization threshold, in ``[0, 1]``.
    """

    crop_scale: tuple[float, float] = (0.08, 1.0)
    crop_ratio: tuple[float, float] = (3 / 4, 4 / 3)
    horizontal_flip: float = 0.5
    color_jitter: float = 0.8
    brightness: float = 0.8
    contrast: float = 0.8
    saturation: float = 0.8
    hue: float = 0.2
    grayscale: float = 0.2
    gaussian_blur: float = 0.5
    blur_sigma: tuple[float, float] = (0.1, 2.0)
    blur_kernel_share: float = 0.1
    solarize: float = 0.0
    solarize_threshold: float = 0.5

    def __post_init__(self) -> None:
        for name in ("horizontal_flip", "color_jitter", "grayscale", "gaussian_blur", "solarize"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(
                    f"augmentation setting {name} is a probability in [0, 1], got {getattr(self, name)}"
                )
        low, high = self.crop_scale
        if not 0.0 < low <= high <= 1.0:
            raise ValueError(
                f"augmentation setting crop_scale must satisfy 0 < low <= high <= 1, got {self.crop_scale}"
            )
        if not 0.0 <= self.hue <= 0.5:
            raise ValueError(f"augmentation setting hue must be in [0, 0.5], got {self.hue}")
        if not 0.0 < self.blur_sigma[0] <= self.blur_sigma[1]:
            raise ValueError(
                f"augmentation setting blur_sigma must satisfy 0 < low <= high, got {self.blur_sigma}"
            )

    def blur_kernel_size(self, size: int) -> int:
        """The odd blur kernel side for ``size``-pixel outputs: ``blur_kernel_share * size``, at least 3."""
        return max(3, int(self.blur_kernel_share * size) // 2 * 2 + 1)


PRESETS: dict[str, AugmentationSettings] = {
    "simclr": AugmentationSettings(),
    "moco_v2": AugmentationSettings(
        crop_scale=(0.2, 1.0), brightness=0.4, contrast=0.4, saturation=0.4, hue=0.1
    ),
    "byol": AugmentationSettings(brightness=0.4, contrast=0.4, saturation=0.2, hue=0.1, gaussian_blur=1.0),
    "byol_second_view": AugmentationSettings(
        brightness=0.4, contrast=0.4, saturation=0.2, hue=0.1, gaussian_blur=0.1, solarize=0.2
    ),
}
"""Published settings by name; ``byol_second_view`` is BYOL's second, asymmetric view."""

SECOND_VIEWS: dict[str, str] = {"byol": "byol_second_view"}
"""Presets whose second view differs from the first, and the preset of that second view."""


def preset_settings(preset: str, size: int, **overrides: Any) -> AugmentationSettings:
    """The settings of ``preset`` for ``size``-pixel outputs, with ``overrides`` (field names) applied.

    Raises:
        ValueError: unknown preset or override name, or an override out of range.

    Example:
        >>> preset_settings("moco_v2", size=224, solarize=0.1).solarize
        0.1
    """
    if preset not in PRESETS:
        raise ValueError(f"unknown image augmentation preset {preset!r}; choose one of {', '.join(PRESETS)}")
    fields = {field.name for field in dataclasses.fields(AugmentationSettings)}
    unknown = sorted(set(overrides) - fields)
    if unknown:
        raise ValueError(
            f"unknown image augmentation setting(s) {', '.join(unknown)}; valid: {', '.join(sorted(fields))}"
        )
    settings = PRESETS[preset]
    if size <= SMALL_IMAGE_SIZE:
        settings = dataclasses.replace(settings, gaussian_blur=0.0)
    overrides = {k: tuple(v) if isinstance(v, list) else v for k, v in overrides.items()}
    return dataclasses.replace(settings, **overrides)
