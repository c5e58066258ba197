"""Detection of the two signal defects that silently ruin training: NaNs and flat leads.

A NaN spreads through resampling, normalisation and every convolution; a flat (constant) lead — an
unplugged electrode, a stale price — has zero variance, so z-normalisation divides by zero.

Example:
    >>> import numpy as np
    >>> try:
    ...     check_signal(np.array([[0.0, 1.0, 0.0], [2.0, 2.0, 2.0]]), "record 7")
    ... except RecordError as error:
    ...     print(error.reason)
    flat_lead
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from mmcl.adapters.timeseries.read_errors import RecordError

FLAT_TOLERANCE = 1e-6


def check_signal(
    signal: np.ndarray,
    record: str,
    lead_names: Sequence[str] | None = None,
    flat_tolerance: float = FLAT_TOLERANCE,
) -> None:
    """Raise `RecordError` if ``signal`` ``(leads, time)`` has a NaN or a lead with std <= ``flat_tolerance``.

    Args:
        signal: Array ``(leads, time)``.
        record: Name used in the message (file, record, window).
        lead_names: Optional names of the leads, for the message.
        flat_tolerance: Largest standard deviation that counts as flat.
    """

    def lead(index: int) -> str:
        return f"lead {index}" + (f" ({lead_names[index]})" if lead_names is not None else "")

    missing = np.isnan(signal)
    if missing.any():
        first = int(np.argmax(missing.any(axis=1)))
        raise RecordError(
            record,
            "nan",
            f"{lead(first)} has {int(missing[first].sum())} NaN values (first at sample "
            f"{int(np.argmax(missing[first]))}); fill or crop the gap, or pass on_error='skip' to skip it",
        )
    deviations = signal.std(axis=1)
    if (deviations <= flat_tolerance).any():
        first = int(np.argmax(deviations <= flat_tolerance))
        raise RecordError(
            record,
            "flat_lead",
            f"{lead(first)} is flat (std {deviations[first]:.3g} <= {flat_tolerance:g}), so it carries no signal "
            f"and cannot be z-normalised; select other leads or pass on_error='skip' to skip it",
        )
