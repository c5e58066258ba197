"""Fixed-length windows with a stride over a ``(leads, time)`` signal.

Example:
    >>> import numpy as np
    >>> window_starts(10, window=4, stride=3, record="x")
    [0, 3, 6]
    >>> sliding_windows(np.arange(10.0)[None], window=4, stride=3, record="x").shape
    (3, 1, 4)
"""

from __future__ import annotations

import numpy as np

from mmcl.adapters.timeseries.read_errors import RecordError


def window_starts(length: int, window: int, stride: int, record: str) -> list[int]:
    """Start indices of every full ``window`` of a series of ``length``, ``stride`` apart (the tail is dropped).

    Raises:
        RecordError: (reason ``"too_short"``) if the series is shorter than one window.
    """
    if window < 1 or stride < 1:
        raise ValueError(f"window and stride must be >= 1, got window={window}, stride={stride}")
    if length < window:
        raise RecordError(
            record,
            "too_short",
            f"{length} samples is shorter than the window of {window}; use a shorter window, or pass "
            f"on_error='skip' to skip short series",
        )
    return list(range(0, length - window + 1, stride))


def sliding_windows(signal: np.ndarray, window: int, stride: int, record: str) -> np.ndarray:
    """``(windows, leads, window)`` copies of every full window of ``signal`` ``(leads, time)``."""
    starts = np.asarray(window_starts(signal.shape[-1], window, stride, record))
    return signal[:, starts[:, None] + np.arange(window)].transpose(1, 0, 2).copy()
