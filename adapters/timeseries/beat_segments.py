"""Beat-centred segments: a fixed window around each annotated beat (MIT-BIH style beat classification).

Example:
    >>> import numpy as np
    >>> segments, kept = beat_segments(np.arange(20.0)[None], np.array([1, 10, 18]), before=2, after=3)
    >>> segments[:, 0, 2], kept
    (array([10.]), array([1]))
"""

from __future__ import annotations

import numpy as np


def beat_segments(
    signal: np.ndarray, centres: np.ndarray, before: int, after: int
) -> tuple[np.ndarray, np.ndarray]:
    """Cut ``signal[:, c - before : c + after]`` for each centre ``c`` that has a full window.

    Args:
        signal: Array ``(leads, time)``.
        centres: Sample index of each beat (e.g. ``wfdb.rdann(...).sample``).
        before: Samples kept before the centre; the centre is at index ``before`` of each segment.
        after: Samples kept from the centre on (the centre included).

    Returns:
        ``(segments, kept)``: segments ``(beats, leads, before + after)`` and the indices into ``centres`` of
        the beats that had a full window (beats too close to either end of the record are left out).
    """
    if before < 0 or after < 1:
        raise ValueError(f"need before >= 0 and after >= 1 samples, got before={before}, after={after}")
    centres = np.asarray(centres, dtype=np.int64)
    kept = np.flatnonzero((centres - before >= 0) & (centres + after <= signal.shape[-1]))
    index = centres[kept][:, None] + np.arange(-before, after)
    return signal[:, index].transpose(1, 0, 2).copy(), kept
