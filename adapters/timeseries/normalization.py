"""Per-lead z-normalisation: each lead of a window shifted to mean 0 and scaled to std 1.

The convention of the UCR archive (every series z-normalised) and of TS2Vec / TS-TCC preprocessing; run
after `check_signal`, which rejects the flat leads that have no std to divide by.

Example:
    >>> import numpy as np
    >>> z_normalize(np.array([[1.0, 2.0, 3.0]]))
    array([[-1.22474487,  0.        ,  1.22474487]])
"""

from __future__ import annotations

import numpy as np


def z_normalize(signal: np.ndarray) -> np.ndarray:
    """Return ``(signal - mean) / std`` per lead of a ``(leads, time)`` array (population std)."""
    mean = signal.mean(axis=1, keepdims=True)
    std = signal.std(axis=1, keepdims=True)
    return (signal - mean) / std
