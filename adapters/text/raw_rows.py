"""Raw rows of a CSV / TSV / JSONL file or a `datasets.Dataset`, each with where it came from.

Every reader yields ``(where, values)`` — ``where`` names the file and line (or the dataset row) for messages,
``values`` maps column (header name, 0-based index, or JSON key) to the raw value — after checking, once, that
every mapped column exists. A missing column is a `TextDataError` listing the columns there are; a row with
the wrong number of fields or a line that is not a JSON object is a `RowError`, which the caller raises or
skips.

- CSV is read with standard quoting; TSV without quoting (tab-separated corpora such as MRPC contain bare
  quote characters); both accept a UTF-8 byte-order mark and CRLF line endings.
- JSONL: one JSON object per line; blank lines are ignored.

Example:
    >>> rows = delimited_rows(Path("stsb-en-train.csv"), delimiter=",", header=False, columns=[0, 1, 2])  # doctest: +SKIP
    >>> next(rows)  # doctest: +SKIP
    ('stsb-en-train.csv, line 1', {0: 'A plane is taking off.', 1: 'An air plane is taking off.', 2: '5.0'})
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import datasets

from mmcl.adapters.text.column_mapping import Column
from mmcl.adapters.text.row_errors import RowError, TextDataError


def delimited_rows(
    path: Path, *, delimiter: str, header: bool, columns: Sequence[Column]
) -> Iterator[tuple[str, dict[Column, str] | RowError]]:
    """Rows of a CSV (``delimiter=","``) or TSV (``"\\t"``) file, keyed by header name (or index without one).

    Raises:
        TextDataError: a mapped column is not in the header (or beyond the fields of the first line).
    """
    with path.open(encoding="utf-8-sig", newline="") as handle:
        quoting = csv.QUOTE_MINIMAL if delimiter == "," else csv.QUOTE_NONE
        reader = csv.reader(handle, delimiter=delimiter, quoting=quoting)
        names: list[Column] | None = None
        for fields in reader:
            if not fields:
                continue
            if names is None:
                names = list(fields) if header else list(range(len(fields)))
                _check_columns(columns, names, path, header)
                if header:
                    continue
            where = f"{path.name}, line {reader.line_num}"
            if len(fields) != len(names):
                yield where, _field_count_error(where, fields, names, columns, header, delimiter)
                continue
            yield where, dict(zip(names, fields, strict=True))
    if names is None:
        raise TextDataError(f"{path}: the file is empty; give a file with one row per example")


def _field_count_error(
    where: str,
    fields: list[str],
    names: list[Column],
    columns: Sequence[Column],
    header: bool,
    delimiter: str,
) -> RowError:
    """A line with more or fewer fields than the header: which mapped columns it leaves without a value."""
    separator = "a bare tab" if delimiter == "\t" else "an unquoted comma"
    expected = (
        f"{len(fields)} field(s), expected {len(names)} like the {'header' if header else 'first line'}"
    )
    if len(fields) < len(names):
        empty = [column for column in columns if names.index(column) >= len(fields)]
        what = f"no value for column {', '.join(map(repr, empty))}" if empty else "a value is missing"
    else:
        what = f"a text holds {separator}, so the fields after it are shifted"
    return RowError(where, "field_count", f"{expected}: {what} — fix the line, or set on_error: skip")


def jsonl_rows(path: Path, *, columns: Sequence[Column]) -> Iterator[tuple[str, dict[str, Any] | RowError]]:
    """Rows of a JSON Lines file (one object per line).

    Raises:
        TextDataError: the first object lacks a mapped key, or the file has no object.
    """
    checked = False
    with path.open(encoding="utf-8-sig") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            where = f"{path.name}, line {number}"
            try:
                values = json.loads(line)
            except json.JSONDecodeError as error:
                yield (
                    where,
                    RowError(
                        where,
                        "invalid_json",
                        f"not valid JSON ({error.msg}); fix the line, or set on_error: skip",
                    ),
                )
                continue
            if not isinstance(values, dict):
                yield (
                    where,
                    RowError(
                        where,
                        "not_an_object",
                        f"expected a JSON object, got {type(values).__name__}; give one object per line, or "
                        "set on_error: skip",
                    ),
                )
                continue
            if not checked:
                _check_columns(columns, list(values), path, header=True)
                checked = True
            missing = [column for column in columns if column not in values]
            if missing:
                yield (
                    where,
                    RowError(
                        where,
                        "missing_column",
                        f"column {missing[0]!r} is missing (the row's keys: {', '.join(map(repr, values))}); add it "
                        "to the row, or set on_error: skip",
                    ),
                )
                continue
            yield where, values
    if not checked:
        raise TextDataError(f"{path}: no JSON object in the file; give one object per line")


def dataset_rows(
    dataset: datasets.Dataset, *, name: str, columns: Sequence[Column]
) -> Iterator[tuple[str, dict[str, Any]]]:
    """Rows of a `datasets.Dataset` (``where`` is ``"<name>, row <0-based index>"``).

    Raises:
        TextDataError: a mapped column is not one of the dataset's columns.
    """
    _check_columns(columns, list(dataset.column_names), Path(name), header=True)
    for index, values in enumerate(dataset.select_columns([str(c) for c in dict.fromkeys(columns)])):
        yield f"{name}, row {index}", values


def _check_columns(columns: Sequence[Column], names: list[Column], path: Path, header: bool) -> None:
    for column in columns:
        if column in names:
            continue
        if isinstance(column, int) and header:
            hint = (
                f"the file has a header, so name the column ({', '.join(map(repr, names))}), or set header: false "
                "if its first line is data"
            )
        elif isinstance(column, int):
            hint = f"the first line has {len(names)} fields (indices 0 to {len(names) - 1})"
        else:
            hint = f"the columns are {', '.join(map(repr, names))}"
            if not header:
                hint = f"the file has no header, so give 0-based indices; {hint}"
        raise TextDataError(f"{path}: column {column!r} not found; {hint}. Fix the `columns` mapping")
