"""What the text readers do with bad input: raise a `RowError`, or skip the row and count it in a `DataReport`.

Every reader takes ``on_error="raise"`` (default: the first bad row stops reading with a message naming the
file, the line or row, the column and the fix) or ``on_error="skip"`` (the row is left out, the first few are
logged, and all are counted by reason).

Example:
    >>> report = DataReport(source="pairs.csv")
    >>> report.handle(RowError("pairs.csv, line 3", "empty_text", "column 'positive' is empty"), "skip")
    >>> report.skipped["empty_text"]
    1
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

logger = logging.getLogger(__name__)

OnError = Literal["raise", "skip"]

_KEPT_MESSAGES = 10


class TextDataError(ValueError):
    """Text data that cannot be used at all (a missing file or column, a mapping that does not fit)."""


class RowError(TextDataError):
    """One bad row, with a short machine-readable ``reason`` it is counted under when skipped.

    Args:
        where: the file and line (``"train.csv, line 17"``) or the dataset row (``"train split, row 16"``).
        reason: ``"empty_text"``, ``"not_text"``, ``"not_a_number"``, ``"field_count"``, ...
        message: what is wrong and what to do about it.
    """

    def __init__(self, where: str, reason: str, message: str) -> None:
        super().__init__(f"{where}: {message}")
        self.where = where
        self.reason = reason


@dataclass
class DataReport:
    """Counts of one read: rows read and kept, rows skipped by reason, rows filtered out on purpose.

    Attributes:
        source: the file, folder or Hub id that was read.
        rows_read: data rows seen (header excluded).
        rows_kept: rows in the resulting dataset.
        skipped: bad rows left out (``on_error="skip"``), by reason.
        filtered: rows left out by a filter the user asked for (``min_score``).
        messages: the first few skip messages.
    """

    source: str
    rows_read: int = 0
    rows_kept: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    filtered: int = 0
    messages: list[str] = field(default_factory=list)

    def handle(self, error: RowError, on_error: OnError) -> None:
        """Raise ``error`` when ``on_error == "raise"``, else count it (and log the first few)."""
        if on_error == "raise":
            raise error
        self.skipped[error.reason] += 1
        if len(self.messages) < _KEPT_MESSAGES:
            self.messages.append(str(error))
            logger.warning("skipped %s", error)

    def summary(self) -> str:
        """One line: ``"stsb.csv: 5749 rows read, 5700 kept, 40 filtered (min_score), 9 skipped (empty_text: 9)"``."""
        text = f"{self.source}: {self.rows_read} rows read, {self.rows_kept} kept"
        if self.filtered:
            text += f", {self.filtered} filtered (min_score)"
        if self.skipped:
            reasons = ", ".join(f"{reason}: {count}" for reason, count in sorted(self.skipped.items()))
            text += f", {sum(self.skipped.values())} skipped ({reasons})"
        return text
