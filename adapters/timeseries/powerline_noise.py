"""Powerline noise: a sinusoid at the mains frequency (50 or 60 Hz) added to every lead.

One of the physiological-noise augmentations of Mehari & Strodthoff (Computers in Biology and Medicine
2022). The phase and amplitude are drawn per sample and lead.

Example:
    >>> import torch
    >>> PowerlineNoise(sampling_rate=500, frequency=50, p=1.0)(torch.zeros(2, 12, 5000)).shape
    torch.Size([2, 12, 5000])
"""

from __future__ import annotations

import math

import torch

from mmcl.adapters.timeseries.random_augmentation import RandomAugmentation, uniform


class PowerlineNoise(RandomAugmentation):
    """Add ``a * sin(2 pi frequency t + phase)`` with ``a`` in [0, ``amplitude``] per sample and lead.

    Args:
        sampling_rate: Sampling rate of the series in Hz; must exceed twice ``frequency``.
        frequency: Mains frequency in Hz (50 in Europe and most of Asia, 60 in the Americas).
        amplitude: Largest amplitude, in signal units (a z-normalised lead has std 1).
        p: Probability that a sample gets powerline noise.
    """

    def __init__(
        self, sampling_rate: float, frequency: float = 50.0, amplitude: float = 0.05, p: float = 0.5
    ) -> None:
        super().__init__(p)
        if not 0.0 < frequency < sampling_rate / 2:
            raise ValueError(
                f"PowerlineNoise: {frequency} Hz is not below the Nyquist frequency of {sampling_rate} Hz "
                f"sampling ({sampling_rate / 2} Hz); use a sampling rate above {2 * frequency} Hz or leave "
                f"powerline noise out"
            )
        if amplitude < 0:
            raise ValueError(f"PowerlineNoise: amplitude must be >= 0, got {amplitude}")
        self.sampling_rate = sampling_rate
        self.frequency = frequency
        self.amplitude = amplitude

    def augment(self, x: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        batch, leads, length = x.shape
        seconds = torch.arange(length, device=x.device, dtype=torch.float32) / self.sampling_rate
        phase = uniform((batch, leads, 1), 0.0, 2 * math.pi, x.device, generator)
        amplitude = uniform((batch, leads, 1), 0.0, self.amplitude, x.device, generator)
        noise = amplitude * torch.sin(2 * math.pi * self.frequency * seconds + phase)
        return x + noise.to(x.dtype)

    def extra_repr(self) -> str:
        return f"sampling_rate={self.sampling_rate}, frequency={self.frequency}, amplitude={self.amplitude}, p={self.p}"
