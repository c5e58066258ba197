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

from collections import Counter
from dataclasses import dataclass, field

from mmcl.skipped_inputs import InputError, OnError, SkipCounting

__all__ = ["DataReport", "OnError", "RowError", "TextDataError"]


class TextDataError(ValueError):
    """Text data that cannot be used at all (a missing file or column, a mapping that does not fit)."""


class RowError(InputError, TextDataError):
    """One bad row: ``RowError(where, reason, message)``.

    ``where`` is the file and line (``"train.csv, line 17"``) or the dataset row (``"train split, row 16"``);
    ``reason`` the key it is counted under when skipped (``"empty_text"``, ``"not_text"``, ``"field_count"``, ...).
    """


@dataclass
class DataReport(SkipCounting):
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

    def summary(self) -> str:
        """One line: ``"stsb.csv: 5749 rows read, 5700 kept, 40 filtered (min_score), 9 skipped (empty_text: 9)"``."""
        text = f"{self.source}: {self.rows_read} rows read, {self.rows_kept} kept"
        if self.filtered:
            text += f", {self.filtered} filtered (min_score)"
        if self.skipped:
            text += f", {sum(self.skipped.values())} skipped ({self.skipped_reasons()})"
        return text
