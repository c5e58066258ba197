"""Text data for training and evaluation: a CSV / TSV / JSONL file, a saved dataset or a Hub dataset, mapped to
roles by a `ColumnMapping`, checked row by row.

``read_text_data(source)`` returns a `datasets.Dataset` with the columns ``text``, or ``anchor``,
``positive`` (, ``negatives``) (, ``score``), and a `DataReport` of what was read, kept, filtered and skipped.

Where the data comes from (``format: auto`` decides by the path):

- a file: ``.csv`` (standard quoting), ``.tsv`` / ``.tab`` (no quoting), ``.jsonl`` / ``.json`` (JSON Lines);
  ``header: false`` for files whose first line is data (columns are then 0-based indices);
- a folder written by ``Dataset.save_to_disk`` / ``DatasetDict.save_to_disk``;
- any other folder of data files, or a Hub dataset id, through ``datasets.load_dataset`` (``subset``,
  ``split``).

Example:
    >>> source = TextDataSource(
    ...     path="../shared/data/text/stsb/stsb-en-train.csv",
    ...     header=False,
    ...     columns=ColumnMapping(anchor=0, positive=1, score=2),
    ...     min_score=4.0,
    ... )
    >>> dataset, report = read_text_data(source)  # doctest: +SKIP
    >>> report.summary()  # doctest: +SKIP
    'stsb-en-train.csv: 5749 rows read, 1652 kept, 4097 filtered (min_score)'
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import datasets
from huggingface_hub.errors import HFValidationError
from huggingface_hub.utils import validate_repo_id

from mmcl.adapters.text.column_mapping import ColumnMapping
from mmcl.adapters.text.raw_rows import dataset_rows, delimited_rows, jsonl_rows
from mmcl.adapters.text.row_checks import check_row
from mmcl.adapters.text.row_errors import DataReport, OnError, RowError, TextDataError
from mmcl.skipped_inputs import check_on_error

logger = logging.getLogger(__name__)

DataFormat = Literal["auto", "csv", "tsv", "jsonl", "disk", "hub"]

_SUFFIX_FORMATS = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".jsonl": "jsonl", ".json": "jsonl"}
_SAVED_DATASET_FILES = ("dataset_info.json", "state.json", "dataset_dict.json")


@dataclass
class TextDataSource:
    """Where text data comes from and how its columns map to roles.

    Attributes:
        path: a ``.csv`` / ``.tsv`` / ``.jsonl`` file, a folder (``save_to_disk`` output, or data files), or a
            Hub dataset id.
        columns: which column is the text, or the anchor / positive (/ negatives / score).
        format: ``auto`` (by suffix or folder contents), or ``csv``, ``tsv``, ``jsonl``, ``disk``, ``hub``.
        header: a CSV / TSV file's first line names its columns.
        subset: the Hub dataset's configuration name.
        split: the split of a Hub dataset or saved ``DatasetDict`` (``train`` when null).
        min_score: keep only pairs whose score is at least this (e.g. STS pairs >= 4 as positives); the rest
            are counted as filtered.
        max_rows: keep at most this many rows (the first ones), e.g. for a quick run.
        on_error: ``raise`` at the first bad row, or ``skip`` bad rows and count them.
    """

    path: str
    columns: ColumnMapping
    format: DataFormat = "auto"
    header: bool = True
    subset: str | None = None
    split: str | None = None
    min_score: float | None = None
    max_rows: int | None = None
    on_error: OnError = "raise"

    def __post_init__(self) -> None:
        if self.min_score is not None and self.columns.score is None:
            raise ValueError("min_score filters pairs by their score; map the score column (columns.score)")
        if self.max_rows is not None and self.max_rows < 1:
            raise ValueError(f"max_rows must be >= 1 (or null for all rows), got {self.max_rows}")
        check_on_error(self.on_error)
        resolved = self.resolved_format()
        if resolved == "hub" and not Path(self.path).expanduser().exists():
            try:
                validate_repo_id(self.path)
            except HFValidationError:
                raise ValueError(
                    f"path: {self.path!r} does not exist (looked for {Path(self.path).expanduser().resolve()}) and "
                    "is not a Hub dataset id (<owner>/<name>); fix the path"
                ) from None
        if resolved in ("csv", "tsv", "jsonl") and not Path(self.path).expanduser().is_file():
            raise ValueError(f"path: {self.path!r} is not a file (format {resolved})")
        if any(isinstance(c, int) for c in self.mapped_columns()) and (
            self.header or resolved not in ("csv", "tsv")
        ):
            raise ValueError(
                "columns: 0-based indices are for CSV / TSV files without a header (header: false); "
                "otherwise name the columns"
            )

    @property
    def name(self) -> str:
        """A short name for messages and reports: the file name, folder name or Hub id."""
        path = Path(self.path)
        return path.name if path.exists() else self.path

    def resolved_format(self) -> str:
        """``format``, or the format ``auto`` picks: by file suffix, saved-dataset files, or else ``hub``."""
        if self.format != "auto":
            return self.format
        path = Path(self.path).expanduser()
        if path.is_file():
            if path.suffix.lower() not in _SUFFIX_FORMATS:
                raise ValueError(
                    f"path: cannot tell the format of {path.name!r} from its suffix; set format to csv, tsv or jsonl"
                )
            return _SUFFIX_FORMATS[path.suffix.lower()]
        if path.is_dir():
            return "disk" if any((path / name).is_file() for name in _SAVED_DATASET_FILES) else "hub"
        return "hub"

    def mapped_columns(self) -> list[Any]:
        return [
            c
            for column in self.columns.roles().values()
            for c in (column if isinstance(column, list) else [column])
        ]


def read_text_data(source: TextDataSource) -> tuple[datasets.Dataset, DataReport]:
    """Read ``source`` into a dataset with role columns, checking every row.

    Returns:
        The dataset (``text``; or ``anchor``, ``positive``, optional ``negatives`` and ``score``) and the
        report of the read.

    Raises:
        TextDataError: a missing column, or no row left; a `RowError` at the first bad row when
            ``on_error="raise"``.
    """
    report = DataReport(source=source.name)
    columns = source.mapped_columns()
    rows: dict[str, list[Any]] = {role: [] for role in source.columns.roles()}
    negatives_per_row: int | None = None
    format_ = source.resolved_format()
    for where, values in _raw_rows(source, format_, columns):
        report.rows_read += 1
        try:
            if isinstance(values, RowError):
                raise values
            row = check_row(values, source.columns, where, scores_are_text=format_ in ("csv", "tsv"))
            if "negatives" in row:
                negatives_per_row = (
                    negatives_per_row if negatives_per_row is not None else len(row["negatives"])
                )
                if len(row["negatives"]) != negatives_per_row or not row["negatives"]:
                    raise RowError(
                        where,
                        "negatives_count",
                        f"{len(row['negatives'])} hard negatives, expected {negatives_per_row} like the first row; "
                        "every row needs the same number — fix the row, or set on_error: skip",
                    )
        except RowError as error:
            report.handle(error, source.on_error)
            continue
        if source.min_score is not None and row["score"] < source.min_score:
            report.filtered += 1
            continue
        for role, value in row.items():
            rows[role].append(value)
        report.rows_kept += 1
        if source.max_rows is not None and report.rows_kept >= source.max_rows:
            break
    if report.rows_kept == 0:
        raise TextDataError(
            f"{report.summary()}: no row left; check the columns mapping, min_score and on_error"
        )
    logger.info("%s", report.summary())
    return datasets.Dataset.from_dict(rows), report


def _raw_rows(source: TextDataSource, format_: str, columns: list[Any]) -> Iterator[tuple[str, Any]]:
    path = Path(source.path).expanduser()
    if format_ in ("csv", "tsv"):
        delimiter = "," if format_ == "csv" else "\t"
        return delimited_rows(path, delimiter=delimiter, header=source.header, columns=columns)
    if format_ == "jsonl":
        return jsonl_rows(path, columns=columns)
    if format_ == "disk":
        loaded = datasets.load_from_disk(str(path))
    else:
        loaded = datasets.load_dataset(source.path, source.subset, split=source.split or "train")
    if isinstance(loaded, datasets.DatasetDict):
        split = source.split or "train"
        if split not in loaded:
            raise TextDataError(
                f"{source.path}: no split {split!r}; its splits are {', '.join(loaded)}. Set split"
            )
        loaded = loaded[split]
    if not isinstance(loaded, datasets.Dataset):
        raise TextDataError(f"{source.path}: expected a map-style dataset, got {type(loaded).__name__}")
    name = f"{source.name} ({source.split or 'train'})"
    return dataset_rows(loaded, name=name, columns=columns)
