"""Log returns of price / volume columns: the stationary input financial encoders are trained on.

Prices become ``log(p_t / p_{t-1})``; volumes, which can be 0, become ``log(1 + v_t) - log(1 + v_{t-1})``. A
non-positive price has no logarithm and gives NaN, which the readers then report.

Example:
    >>> import numpy as np
    >>> log_returns(np.array([[100.0, 10.0], [110.0, 0.0]]), volume=[False, True]).round(4)
    array([[ 0.0953, -2.3979]])
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def log_returns(table: np.ndarray, volume: Sequence[bool]) -> np.ndarray:
    """``(time - 1, columns)`` log returns of a ``(time, columns)`` table; ``volume`` flags volume columns."""
    volume = np.asarray(volume, dtype=bool)
    with np.errstate(divide="ignore", invalid="ignore"):
        logs = np.where(
            volume, np.log1p(np.where(table >= 0, table, np.nan)), np.log(np.where(table > 0, table, np.nan))
        )
    return np.diff(logs, axis=0)
