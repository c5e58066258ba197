"""CSV / Parquet price tables (OHLCV) as a Hugging Face dataset of normalised log-return windows.

Each table (or each ticker of a long table with a ``group_column``) is sorted by date, turned into log
returns (`log_returns`), cut into windows of ``window`` returns every ``stride``, checked for NaNs (missing or
non-positive prices) and flat leads (stale prices), and z-normalised per window and column — the usual
input of contrastive financial encoders (e.g. TS2Vec's and TS-TCC's preprocessing of forecasting data).

Example:
    >>> windows = price_windows_dataset("../shared/data/timeseries/financial/arch/sp500.csv.gz",
    ...                                 columns=["Close", "Volume"], window=64, date_column="Date")  # doctest: +SKIP
    >>> len(windows[0]["signal"]), len(windows[0]["signal"][0])  # doctest: +SKIP
    (2, 64)
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from pathlib import Path

import datasets
import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from mmcl.adapters.timeseries.checked_windows import checked_windows
from mmcl.adapters.timeseries.generated_dataset import SIGNAL_FEATURE, build_dataset, file_identity
from mmcl.adapters.timeseries.log_returns import log_returns
from mmcl.adapters.timeseries.read_errors import OnError, ReadReport, RecordError, check_on_error

OHLCV = ("Open", "High", "Low", "Close", "Volume")


def price_windows_dataset(
    paths: str | Path | Sequence[str | Path],
    *,
    columns: Sequence[str] = OHLCV,
    window: int = 64,
    stride: int | None = None,
    date_column: str | None = None,
    group_column: str | None = None,
    label_column: str | None = None,
    drop_missing: bool = False,
    normalize: bool = True,
    on_error: OnError = "raise",
    report: ReadReport | None = None,
    streaming: bool = False,
) -> datasets.Dataset | datasets.IterableDataset:
    """Windows of log returns of the price tables in ``paths`` (``.csv``, ``.csv.gz``, ``.parquet``).

    Column names match case-insensitively; a column named ``volume`` gets volume returns
    (``log1p`` differences), every other column price log returns.

    Args:
        paths: Table files, one shard each.
        columns: Columns that become the leads of each window.
        window: Returns per window.
        stride: Step between windows (default: ``window``, no overlap).
        date_column: Sort rows by this column (parsed as dates) and report each window's last date.
        group_column: Split a long table into one series per value (e.g. ``"Ticker"``).
        label_column: Label each window with this column's value on its last row.
        drop_missing: Drop rows with a missing or non-numeric value (e.g. holidays written ``"."``) before
            computing returns; by default they make NaN returns and their windows are errors.
        normalize: Z-normalise each column of each window.
        on_error: ``"raise"`` on the first bad file / series / window, or ``"skip"`` it and count it in
            ``report``.
        report: Receives the counts of examples and of skips by reason.
        streaming: Return a lazily read `IterableDataset` with one shard per file.

    Returns:
        Examples ``{"signal": float32 (columns, window), "label": label or None, "record": "<file>[:<group>]",
        "start": row of the window's first return, "date": last date of the window ("" without
        date_column)}``.
    """
    check_on_error(on_error)
    report = report if report is not None else ReadReport()
    files = [Path(path) for path in ([paths] if isinstance(paths, (str, Path)) else paths)]
    readable, label_type = [], datasets.Value("null")
    for path in files:
        try:
            names = _column_names(path)
            _matched(names, columns, path, "missing_column")
            for optional in (date_column, group_column):
                if optional is not None:
                    _matched(names, [optional], path, "missing_column")
            if label_column is not None:
                _matched(names, [label_column], path, "missing_label")
        except RecordError as error:
            report.handle(error, on_error)
            continue
        if label_column is not None and not readable:
            label_type = _label_type(path, _matched(names, [label_column], path, "missing_label")[0])
        readable.append(path)
    features = datasets.Features(
        {
            "signal": SIGNAL_FEATURE,
            "label": label_type,
            "record": datasets.Value("string"),
            "start": datasets.Value("int64"),
            "date": datasets.Value("string"),
        }
    )
    generate = functools.partial(
        _generate_examples,
        columns=tuple(columns),
        window=window,
        stride=stride or window,
        date_column=date_column,
        group_column=group_column,
        label_column=label_column,
        drop_missing=drop_missing,
        normalize=normalize,
        on_error=on_error,
    )
    options = (
        tuple(columns),
        window,
        stride,
        date_column,
        group_column,
        label_column,
        drop_missing,
        normalize,
        on_error,
    )
    return build_dataset(
        generate,
        [str(path) for path in readable],
        features,
        streaming=streaming,
        report=report,
        fingerprint_inputs=(file_identity(readable), options),
    )


def _column_names(path: Path) -> list[str]:
    if not path.exists():
        raise RecordError(str(path), "missing_file", "does not exist; check the path")
    if path.suffix == ".parquet":
        return list(pq.read_schema(path).names)
    return list(pd.read_csv(path, nrows=0).columns)


def _matched(names: Sequence[str], wanted: Sequence[str], path: Path, reason: str) -> list[str]:
    """The file's spelling of each wanted column (case-insensitive), or a RecordError naming what is missing."""
    by_lower = {name.lower(): name for name in names}
    missing = [name for name in wanted if name.lower() not in by_lower]
    if missing:
        kind = "label column" if reason == "missing_label" else "column"
        raise RecordError(
            str(path),
            reason,
            f"has no {kind} {missing} (it has {list(names)}); name an existing column, or pass on_error='skip'",
        )
    return [by_lower[name.lower()] for name in wanted]


def _read_table(path: Path, columns: Sequence[str]) -> pd.DataFrame:
    if path.suffix == ".parquet":
        return pd.read_parquet(path, columns=list(columns))
    return pd.read_csv(path, usecols=list(columns))


def _label_type(path: Path, column: str) -> datasets.Value:
    kind = _read_table(path, [column])[column].dtype.kind
    return datasets.Value({"f": "float64", "i": "int64", "u": "int64", "b": "bool"}.get(kind, "string"))


def _generate_examples(
    shards: Sequence[str],
    report: ReadReport,
    *,
    columns: tuple[str, ...],
    window: int,
    stride: int,
    date_column: str | None,
    group_column: str | None,
    label_column: str | None,
    drop_missing: bool,
    normalize: bool,
    on_error: OnError,
) -> Iterator[dict]:
    for shard in shards:
        path = Path(shard)
        names = _column_names(path)
        leads = _matched(names, columns, path, "missing_column")
        date, group, label = (
            _matched(names, [name], path, "missing_column")[0] if name else None
            for name in (date_column, group_column, label_column)
        )
        table = _read_table(
            path, list(dict.fromkeys([*leads, *(name for name in (date, group, label) if name)]))
        )
        table[leads] = table[leads].apply(pd.to_numeric, errors="coerce")  # "." and the like become NaN
        if drop_missing:
            table = table.dropna(subset=leads)
        series = table.groupby(group, sort=True) if group else [(None, table)]
        for key, rows in series:
            record = path.name if group is None else f"{path.name}:{key}"
            dates = None
            if date is not None:
                dates = pd.to_datetime(rows[date], format="mixed")
                order = np.argsort(dates.to_numpy(), kind="stable")
                rows, dates = rows.iloc[order], dates.iloc[order]
            values = rows[leads].to_numpy(dtype=np.float64)
            returns = log_returns(values, [lead.lower() == "volume" for lead in leads]).T
            for start, piece in checked_windows(
                returns,
                record,
                window=window,
                stride=stride,
                normalize=normalize,
                on_error=on_error,
                report=report,
                lead_names=leads,
            ):
                last_row = start + window  # returns[:, i] is the change into row i + 1
                yield {
                    "signal": piece,
                    "label": None if label is None else rows[label].iloc[last_row],
                    "record": record,
                    "start": start + 1,
                    "date": "" if dates is None else dates.iloc[last_row].isoformat(),
                }
