"""Batched image augmentations on the training device: kornia pipelines for SimCLR, MoCo v2 and BYOL views.

A pipeline takes a whole uint8 ``(B, 3, H, W)`` batch on any device (CPU or GPU) and returns float32
``(B, 3, size, size)`` in ``[0, 1]``: random resized crop, horizontal flip, colour jitter, grayscale,
Gaussian blur and solarization, each drawn independently per image from torch's random stream (seed it with
``torch.manual_seed`` for reproducible views). Normalisation (the image processor's mean and std) is applied
afterwards by the encoder side. The strengths are the papers' (`augmentation_settings`).

Example:
    >>> import torch
    >>> augment = image_augmentations("simclr", size=32)
    >>> images = torch.randint(0, 256, (8, 3, 32, 32), dtype=torch.uint8)
    >>> view = augment(images)
    >>> view.shape, view.dtype
    (torch.Size([8, 3, 32, 32]), torch.float32)
"""

from __future__ import annotations

from typing import Any

import kornia.augmentation as K
from torch import nn

from mmcl.adapters.image.augmentation_settings import SECOND_VIEWS, AugmentationSettings, preset_settings
from mmcl.adapters.image.uint8_to_float import UInt8ToFloat


def augmentation_pipeline(
    settings: AugmentationSettings, size: int, *, compiled: bool = False
) -> nn.Sequential:
    """The kornia pipeline of ``settings`` producing ``size`` x ``size`` views; augmentations whose
    probability is 0 are left out.

    With ``compiled``, the colour jitter's kernels are compiled with ``torch.compile`` (kornia's own
    ``ColorJitter.compile``): its hue step (RGB -> HSV -> RGB) is most of the pipeline's time, and compiling
    makes it about 3x faster on a CPU, after a first call that compiles (tens of seconds).

    Example:
        >>> from mmcl.adapters.image.augmentation_settings import AugmentationSettings
        >>> pipeline = augmentation_pipeline(AugmentationSettings(gaussian_blur=0.0), size=32)
        >>> [type(step).__name__ for step in pipeline]
        ['UInt8ToFloat', 'RandomResizedCrop', 'RandomHorizontalFlip', 'ColorJitter', 'RandomGrayscale']
    """
    if size < 1:
        raise ValueError(f"image augmentations need an output size >= 1 pixel, got {size}")
    steps: list[nn.Module] = [
        UInt8ToFloat(),
        K.RandomResizedCrop(
            (size, size), scale=settings.crop_scale, ratio=settings.crop_ratio, cropping_mode="resample"
        ),
    ]
    if settings.horizontal_flip > 0:
        steps.append(K.RandomHorizontalFlip(p=settings.horizontal_flip))
    if settings.color_jitter > 0:
        jitter = K.ColorJitter(
            brightness=settings.brightness,
            contrast=settings.contrast,
            saturation=settings.saturation,
            hue=settings.hue,
            p=settings.color_jitter,
        )
        # dynamic: the jittered images are a random subset of the batch, so their number changes every call
        steps.append(jitter.compile(dynamic=True) if compiled else jitter)
    if settings.grayscale > 0:
        steps.append(K.RandomGrayscale(p=settings.grayscale))
    if settings.gaussian_blur > 0:
        kernel = settings.blur_kernel_size(size)
        steps.append(K.RandomGaussianBlur((kernel, kernel), settings.blur_sigma, p=settings.gaussian_blur))
    if settings.solarize > 0:
        # kornia draws the threshold from 0.5 +- `thresholds` and adds `additions` first: both fixed here.
        steps.append(
            K.RandomSolarize(thresholds=settings.solarize_threshold - 0.5, additions=0.0, p=settings.solarize)
        )
    return nn.Sequential(*steps)


def image_augmentations(preset: str, size: int, *, compiled: bool = False, **overrides: Any) -> nn.Sequential:
    """The first view's pipeline of ``preset`` (``"simclr"``, ``"moco_v2"``, ``"byol"``) at ``size`` pixels.

    Args:
        preset: a name in `augmentation_settings.PRESETS`; ``"byol_second_view"`` is BYOL's second view.
        size: side of the output views in pixels; at 32 or less the Gaussian blur is off unless overridden.
        compiled: compile the colour jitter (see `augmentation_pipeline`).
        **overrides: `AugmentationSettings` fields, e.g. ``brightness=0.4`` or ``gaussian_blur=0.0``.

    Returns:
        A module mapping uint8 ``(B, 3, H, W)`` to float32 ``(B, 3, size, size)`` in ``[0, 1]`` on the same device.

    Example:
        >>> augment = image_augmentations("byol", size=96, solarize=0.1)
    """
    return augmentation_pipeline(preset_settings(preset, size, **overrides), size, compiled=compiled)


def view_augmentations(
    preset: str, size: int, *, compiled: bool = False, **overrides: Any
) -> tuple[nn.Sequential, nn.Sequential]:
    """The pipelines of both views of ``preset``: the same settings twice, or BYOL's asymmetric pair.

    ``compiled`` and ``overrides`` apply to both views.

    Example:
        >>> first, second = view_augmentations("byol", size=224)
        >>> [type(step).__name__ for step in second][-1]
        'RandomSolarize'
    """
    first = image_augmentations(preset, size, compiled=compiled, **overrides)
    second = image_augmentations(SECOND_VIEWS.get(preset, preset), size, compiled=compiled, **overrides)
    return first, second
