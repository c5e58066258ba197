"""Augmentation presets from the literature: ``"ecg"`` and ``"finance"``.

- ``ecg``: Mehari & Strodthoff, "Self-supervised representation learning from 12-lead ECG data" (Computers
  in Biology and Medicine 2022) — random resized crop (`WindowSlice` with ratio 0.5..1) and time out, their
  best pair for SimCLR/BYOL on PTB-XL, plus their physiological noise (baseline wander, powerline noise,
  Gaussian noise) and TS-TCC's per-lead scaling (Eldele et al., IJCAI 2021), each with probability 0.5.
- ``finance``: Iwana & Uchida, "An empirical survey of data augmentation for time series classification
  with neural networks" (PLOS ONE 2021) with their default strengths — jitter sigma 0.03, scaling sigma
  0.1, magnitude warp and time warp sigma 0.2 with 4 knots, window slicing to 90 % — each with probability
  0.5.

Both assume per-lead (per-window) z-normalised input, so strengths are in units of a lead's std.

Example:
    >>> import torch
    >>> view = augmentation_preset("ecg", sampling_rate=500)
    >>> view(torch.randn(8, 12, 5000), torch.Generator().manual_seed(0)).shape
    torch.Size([8, 12, 5000])
"""

from __future__ import annotations

from mmcl.adapters.timeseries.amplitude_scaling import AmplitudeScaling
from mmcl.adapters.timeseries.baseline_wander import BaselineWander
from mmcl.adapters.timeseries.compose import Compose
from mmcl.adapters.timeseries.gaussian_jitter import GaussianJitter
from mmcl.adapters.timeseries.magnitude_warp import MagnitudeWarp
from mmcl.adapters.timeseries.powerline_noise import PowerlineNoise
from mmcl.adapters.timeseries.time_out import TimeOut
from mmcl.adapters.timeseries.time_warp import TimeWarp
from mmcl.adapters.timeseries.window_slice import WindowSlice


def ecg_augmentations(sampling_rate: float, powerline_frequency: float = 50.0) -> Compose:
    """Mehari & Strodthoff's ECG views: random resized crop + time out, then physiological noise.

    Powerline noise is left out when ``sampling_rate`` cannot represent ``powerline_frequency``.

    Example:
        >>> ecg_augmentations(sampling_rate=100)  # doctest: +ELLIPSIS
        Compose(...)
    """
    augmentations = [
        WindowSlice(ratio=(0.5, 1.0), p=1.0),
        TimeOut(ratio=(0.0, 0.5), p=0.5),
        BaselineWander(sampling_rate, amplitude=0.1, p=0.5),
        GaussianJitter(sigma=0.05, p=0.5),
        AmplitudeScaling(sigma=0.1, p=0.5),
    ]
    if powerline_frequency < sampling_rate / 2:
        augmentations.insert(
            3, PowerlineNoise(sampling_rate, frequency=powerline_frequency, amplitude=0.05, p=0.5)
        )
    return Compose(augmentations)


def finance_augmentations() -> Compose:
    """Iwana & Uchida's augmentations at their default strengths, for return / price-feature windows.

    Example:
        >>> finance_augmentations()  # doctest: +ELLIPSIS
        Compose(...)
    """
    return Compose(
        [
            GaussianJitter(sigma=0.03, p=0.5),
            AmplitudeScaling(sigma=0.1, p=0.5),
            MagnitudeWarp(sigma=0.2, knots=4, p=0.5),
            TimeWarp(sigma=0.2, knots=4, p=0.5),
            WindowSlice(ratio=0.9, p=0.5),
        ]
    )


def augmentation_preset(
    name: str, sampling_rate: float | None = None, powerline_frequency: float = 50.0
) -> Compose:
    """The named preset (for recipes): ``"ecg"`` (needs ``sampling_rate``) or ``"finance"``.

    Example:
        >>> augmentation_preset("finance")  # doctest: +ELLIPSIS
        Compose(...)
    """
    if name == "ecg":
        if sampling_rate is None:
            raise ValueError(
                "augmentation_preset('ecg') needs sampling_rate (Hz) for baseline wander and powerline noise"
            )
        return ecg_augmentations(sampling_rate, powerline_frequency)
    if name == "finance":
        return finance_augmentations()
    raise ValueError(f"unknown augmentation preset {name!r}; choose 'ecg' or 'finance'")
