"""Check one raw row against a `ColumnMapping`: texts are non-empty strings, scores are finite numbers.

A row becomes ``{"text": str}`` or ``{"anchor": str, "positive": str[, "negatives": [str, ...]][, "score":
float]}``; anything else raises a `RowError` naming the row, the column and the fix.

Example:
    >>> from mmcl.adapters.text.column_mapping import ColumnMapping
    >>> check_row({"s1": "A cat.", "s2": "A kitten.", "y": "4.5"}, ColumnMapping(anchor="s1", positive="s2",
    ...     score="y"), "pairs.csv, line 2", scores_are_text=True)
    {'anchor': 'A cat.', 'positive': 'A kitten.', 'score': 4.5}
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from mmcl.adapters.text.column_mapping import Column, ColumnMapping
from mmcl.adapters.text.row_errors import RowError


def check_row(
    raw: Mapping[Column, Any], columns: ColumnMapping, where: str, *, scores_are_text: bool
) -> dict[str, Any]:
    """The row's values by role, checked.

    Args:
        raw: the row's values by column (header name or index).
        columns: which column plays which role.
        where: the file and line, or the dataset row, for messages.
        scores_are_text: scores arrive as strings (CSV / TSV) and are parsed as numbers.

    Raises:
        RowError: a text that is empty or not a string, a score that is not a finite number.
    """
    row: dict[str, Any] = {}
    for role in ("text", "anchor", "positive"):
        column = getattr(columns, role)
        if column is not None:
            row[role] = _checked_text(raw[column], column, where)
    if columns.negatives:
        values = [raw[column] for column in columns.negatives]
        if len(values) == 1 and isinstance(values[0], (list, tuple)):
            column = columns.negatives[0]
            row["negatives"] = [_checked_text(v, f"{column}[{i}]", where) for i, v in enumerate(values[0])]
        else:
            row["negatives"] = [
                _checked_text(value, column, where)
                for value, column in zip(values, columns.negatives, strict=True)
            ]
    if columns.score is not None:
        row["score"] = _checked_score(raw[columns.score], columns.score, where, scores_are_text)
    return row


def _checked_text(value: Any, column: Column, where: str) -> str:
    if not isinstance(value, str):
        shown = "a missing value" if value is None else f"{value!r} ({type(value).__name__})"
        raise RowError(
            where,
            "not_text",
            f"column {column!r}: expected text, got {shown}; fix the row, map another column, or set "
            "on_error: skip to leave such rows out",
        )
    if not value.strip():
        raise RowError(
            where,
            "empty_text",
            f"column {column!r} is empty; an empty text has no meaning to contrast — fix the row, or set "
            "on_error: skip to leave such rows out",
        )
    return value


def _checked_score(value: Any, column: Column, where: str, scores_are_text: bool) -> float:
    number: float | None = None
    if scores_are_text and isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            number = None
    elif isinstance(value, (int, float)):
        number = float(value)
    if number is None or not math.isfinite(number):
        raise RowError(
            where,
            "not_a_number",
            f"column {column!r}: expected a finite number (a similarity score or a 0/1 label), got {value!r}; "
            "fix the row, map another column as `score`, or set on_error: skip",
        )
    return number
