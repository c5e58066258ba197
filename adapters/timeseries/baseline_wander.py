"""Baseline wander: low-frequency sinusoids added to every lead (respiration and electrode motion).

The physiological-noise augmentation of Mehari & Strodthoff (Computers in Biology and Medicine 2022), after
the baseline-wander model of the MIT-BIH Noise Stress Test (Moody, Muldrow & Mark 1984): a sum of a few
sinusoids below 0.5 Hz. The frequencies and phases of a sample are shared by its leads (one respiration),
the amplitudes differ per lead.

Example:
    >>> import torch
    >>> BaselineWander(sampling_rate=500, amplitude=0.1, p=1.0)(torch.zeros(2, 12, 5000)).shape
    torch.Size([2, 12, 5000])
"""

from __future__ import annotations

import math

import torch

from mmcl.adapters.timeseries.random_augmentation import RandomAugmentation, uniform


class BaselineWander(RandomAugmentation):
    """Add ``components`` sinusoids with frequencies in [``min_frequency``, ``max_frequency``] Hz.

    Args:
        sampling_rate: Sampling rate of the series in Hz.
        amplitude: Largest amplitude of each sinusoid, in signal units (a z-normalised lead has std 1).
        min_frequency: Lowest frequency in Hz.
        max_frequency: Highest frequency in Hz.
        components: Number of sinusoids summed.
        p: Probability that a sample gets baseline wander.
    """

    def __init__(
        self,
        sampling_rate: float,
        amplitude: float = 0.1,
        min_frequency: float = 0.05,
        max_frequency: float = 0.5,
        components: int = 2,
        p: float = 0.5,
    ) -> None:
        super().__init__(p)
        if not 0.0 < min_frequency <= max_frequency < sampling_rate / 2:
            raise ValueError(
                f"BaselineWander: need 0 < min_frequency <= max_frequency < sampling_rate / 2, got "
                f"{min_frequency}, {max_frequency} at {sampling_rate} Hz"
            )
        if amplitude < 0 or components < 1:
            raise ValueError(
                f"BaselineWander: need amplitude >= 0 and components >= 1, got {amplitude}, {components}"
            )
        self.sampling_rate = sampling_rate
        self.amplitude = amplitude
        self.min_frequency = min_frequency
        self.max_frequency = max_frequency
        self.components = components

    def augment(self, x: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        batch, leads, length = x.shape
        seconds = torch.arange(length, device=x.device, dtype=torch.float32) / self.sampling_rate
        wander = torch.zeros(x.shape, device=x.device, dtype=torch.float32)
        for _ in range(self.components):  # a handful of sinusoids, each for the whole batch at once
            frequency = uniform((batch, 1, 1), self.min_frequency, self.max_frequency, x.device, generator)
            phase = uniform((batch, 1, 1), 0.0, 2 * math.pi, x.device, generator)
            amplitude = uniform((batch, leads, 1), 0.0, self.amplitude, x.device, generator)
            wander += amplitude * torch.sin(2 * math.pi * frequency * seconds + phase)
        return x + wander.to(x.dtype)

    def extra_repr(self) -> str:
        return (
            f"sampling_rate={self.sampling_rate}, amplitude={self.amplitude}, frequencies="
            f"[{self.min_frequency}, {self.max_frequency}], components={self.components}, p={self.p}"
        )
