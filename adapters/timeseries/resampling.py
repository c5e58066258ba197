"""Resampling a ``(leads, time)`` signal to a target rate with polyphase filtering (``scipy.signal.resample_poly``).

The rate ratio is made an exact fraction ``up / down``, so sample ``k`` of the output is at time
``k * down / up`` input samples: annotation sample indices map with the same factor (`resampled_index`).

Example:
    >>> import numpy as np
    >>> resample_to_rate(np.zeros((2, 3600)), rate=360, target_rate=100).shape
    (2, 1000)
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
from scipy.signal import resample_poly


def rate_ratio(rate: float, target_rate: float) -> Fraction:
    """``target_rate / rate`` as an exact (or closely approximated) fraction ``up / down``."""
    if rate <= 0 or target_rate <= 0:
        raise ValueError(f"sampling rates must be positive, got {rate} Hz and {target_rate} Hz")
    return (Fraction(str(target_rate)) / Fraction(str(rate))).limit_denominator(10_000)


def resample_to_rate(signal: np.ndarray, rate: float, target_rate: float) -> np.ndarray:
    """Resample ``signal`` ``(leads, time)`` from ``rate`` to ``target_rate`` Hz (unchanged if equal).

    The output has ``ceil(time * up / down)`` samples.
    """
    ratio = rate_ratio(rate, target_rate)
    if ratio == 1:
        return signal
    return resample_poly(signal, ratio.numerator, ratio.denominator, axis=-1)


def resampled_index(index: np.ndarray | int, rate: float, target_rate: float) -> np.ndarray:
    """Sample indices at ``rate`` mapped to the nearest sample at ``target_rate``."""
    ratio = rate_ratio(rate, target_rate)
    return np.rint(np.asarray(index) * ratio.numerator / ratio.denominator).astype(np.int64)
