"""From one signal to checked, normalised examples: windowing, NaN / flat-lead checks, z-normalisation.

The step every reader shares once it holds a ``(leads, time)`` array: cut it into windows (or keep it
whole), reject windows with NaNs or flat leads (raise, or skip and count, per ``on_error``), z-normalise
each lead if asked, and hand out float32 arrays.

Example:
    >>> import numpy as np
    >>> from mmcl.adapters.timeseries.read_errors import ReadReport
    >>> signal = np.random.default_rng(0).normal(size=(2, 1000))
    >>> windows = checked_windows(signal, "demo", window=250, stride=250, normalize=True,
    ...                           on_error="raise", report=ReadReport())
    >>> [start for start, _ in windows]
    [0, 250, 500, 750]
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from mmcl.adapters.timeseries.normalization import z_normalize
from mmcl.adapters.timeseries.read_errors import OnError, ReadReport, RecordError
from mmcl.adapters.timeseries.signal_checks import check_signal
from mmcl.adapters.timeseries.windowing import window_starts


def checked_windows(
    signal: np.ndarray,
    record: str,
    *,
    window: int | None,
    stride: int | None,
    normalize: bool,
    on_error: OnError,
    report: ReadReport,
    lead_names: Sequence[str] | None = None,
) -> Iterator[tuple[int, np.ndarray]]:
    """Yield ``(start, float32 window)`` for each good window of ``signal`` ``(leads, time)``.

    Args:
        signal: The series.
        record: Its name, for messages (windows are named ``record[start:stop]``).
        window: Window length in samples, or None for the whole series as one example.
        stride: Step between windows (default: ``window``, no overlap).
        normalize: Z-normalise each lead of each window.
        on_error: ``"raise"`` or ``"skip"`` (count in ``report``) for short series and bad windows.
        report: Where skips and produced examples are counted.
        lead_names: Optional lead names for messages.
    """
    length = signal.shape[-1]
    if window is None:
        starts, size = [0], length
    else:
        try:
            starts, size = window_starts(length, window, stride or window, record), window
        except RecordError as error:
            report.handle(error, on_error)
            return
    for start in starts:
        piece = signal[:, start : start + size]
        name = record if window is None else f"{record}[{start}:{start + size}]"
        try:
            check_signal(piece, name, lead_names)
        except RecordError as error:
            report.handle(error, on_error)
            continue
        report.examples += 1
        yield start, (z_normalize(piece) if normalize else piece).astype(np.float32)
