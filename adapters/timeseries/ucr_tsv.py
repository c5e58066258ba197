"""UCR Time Series Archive 2018 ``.tsv`` files: one series per line, the class label first, tab separated.

Dau et al., "The UCR Time Series Archive" (IEEE/CAA JAS 2019). Variable-length datasets pad short series
with trailing ``NaN``; that padding is removed here, so a NaN left inside a series is a real gap.

Example:
    >>> label, series = parse_ucr_tsv_line("1\\t0.5\\t0.25\\tNaN", "demo.tsv:0")
    >>> label, series
    ('1', array([[0.5 , 0.25]]))
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from mmcl.adapters.timeseries.read_errors import RecordError


def canonical_label(token: str) -> str:
    """A class label as text, numbers written plainly (``"1.0000000e+00"`` -> ``"1"``, ``"-1"`` -> ``"-1"``)."""
    token = token.strip()
    try:
        value = float(token)
    except ValueError:
        return token
    return str(int(value)) if value.is_integer() else repr(value)


def ucr_tsv_lines(path: Path) -> Iterator[tuple[str, str]]:
    """``(record, line)`` for each non-empty line; the record is ``"<file name>:<row>"``."""
    with open(path, encoding="utf-8") as file:
        for row, line in enumerate(line for line in file if line.strip()):
            yield f"{path.name}:{row}", line


def parse_ucr_tsv_line(line: str, record: str) -> tuple[str, np.ndarray]:
    """Label and ``(1, time)`` float64 series of one line (trailing NaN padding removed).

    Raises:
        RecordError: ``"malformed"`` if a value is not a number or the line has no values.
    """
    label, *tokens = line.rstrip("\r\n").split("\t")
    try:
        values = np.array(tokens, dtype=np.float64)
    except ValueError as error:
        raise RecordError(
            record, "malformed", f"is not a tab-separated row of numbers ({error}); fix the file"
        ) from None
    valid = np.flatnonzero(~np.isnan(values))
    if valid.size == 0:
        raise RecordError(
            record, "malformed", "has no values after the label; fix the file or pass on_error='skip'"
        )
    return canonical_label(label), values[: valid[-1] + 1][None, :]
