"""WFDB records as a Hugging Face dataset: whole records or fixed windows, with PhysioNet ``# Dx:`` labels.

Reads any WFDB record (``.hea`` with ``.dat`` or ``.mat``, any number of leads, any sampling rate) with
``wfdb``, resamples to ``target_rate`` with ``scipy.signal.resample_poly``, cuts windows, rejects NaNs and
flat leads and z-normalises each lead. The label is the list of SNOMED-CT codes of the header's ``# Dx:``
line (CinC 2020/2021), empty when there is none.

Example:
    >>> dataset = wfdb_dataset("../shared/data/timeseries/cinc2021_sample", target_rate=100,
    ...                        on_error="skip")  # doctest: +SKIP
    >>> example = dataset[0]  # doctest: +SKIP
    >>> len(example["signal"]), len(example["signal"][0]), example["label"]  # doctest: +SKIP
    (12, 1000, ['67741000119109', '426177001'])
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterator, Sequence
from pathlib import Path

import datasets

from mmcl.adapters.timeseries.checked_windows import checked_windows
from mmcl.adapters.timeseries.generated_dataset import SIGNAL_FEATURE, build_dataset, file_identity
from mmcl.adapters.timeseries.read_errors import OnError, ReadReport, RecordError, check_on_error
from mmcl.adapters.timeseries.resampling import rate_ratio
from mmcl.adapters.timeseries.wfdb_records import (
    WfdbHeader,
    check_sampling_rates,
    find_wfdb_records,
    read_wfdb_header,
    read_wfdb_signal,
)
from mmcl.adapters.timeseries.windowing import window_starts

FEATURES = datasets.Features(
    {
        "signal": SIGNAL_FEATURE,
        "label": datasets.List(datasets.Value("string")),
        "record": datasets.Value("string"),
        "sampling_rate": datasets.Value("float32"),
        "start": datasets.Value("int64"),
    }
)


def wfdb_dataset(
    records: str | Path | Sequence[str | Path],
    *,
    target_rate: float | None = None,
    window_seconds: float | None = None,
    stride_seconds: float | None = None,
    leads: Sequence[str] | None = None,
    normalize: bool = True,
    require_labels: bool = False,
    on_error: OnError = "raise",
    report: ReadReport | None = None,
    streaming: bool = False,
) -> datasets.Dataset | datasets.IterableDataset:
    """One example per record (or per window) of WFDB records.

    Headers are checked before anything is read (missing ``.hea`` / ``.dat`` / ``.mat``, missing leads or
    labels, mixed sampling rates without ``target_rate``, records shorter than a window); NaNs and flat
    leads are found as signals are read.

    Args:
        records: Record paths (with or without ``.hea``), or directories of records, or one of either.
        target_rate: Resample every record to this rate (Hz); required when records' rates differ.
        window_seconds: Cut windows of this duration; None keeps each record whole.
        stride_seconds: Step between windows (default: ``window_seconds``, no overlap).
        leads: Lead names to keep, in this order (default: all leads of each record).
        normalize: Z-normalise each lead of each example.
        require_labels: Treat a record without a ``# Dx:`` line as an error (``"missing_label"``).
        on_error: ``"raise"`` on the first bad record / window, or ``"skip"`` it and count it in ``report``.
        report: Receives the counts of examples and of skips by reason.
        streaming: Return a lazily read `IterableDataset` with one shard per record.

    Returns:
        Examples ``{"signal": float32 (leads, time), "label": list of Dx codes, "record": record name,
        "sampling_rate": Hz, "start": first sample of the window}``.
    """
    check_on_error(on_error)
    report = report if report is not None else ReadReport()
    headers = []
    for path in find_wfdb_records(records):
        try:
            header = read_wfdb_header(path, leads)
            if require_labels and header.dx_codes is None:
                raise RecordError(
                    str(path),
                    "missing_label",
                    f"{path.name}.hea has no '# Dx:' line; add the labels, set require_labels=False, or pass "
                    f"on_error='skip'",
                )
        except RecordError as error:
            report.handle(error, on_error)
            continue
        headers.append(header)
    headers = check_sampling_rates(headers, target_rate, on_error, report)
    if window_seconds is not None:
        headers = _long_enough(headers, target_rate, window_seconds, on_error, report)

    generate = functools.partial(
        _generate_examples,
        target_rate=target_rate,
        window_seconds=window_seconds,
        stride_seconds=stride_seconds,
        leads=tuple(leads) if leads else None,
        normalize=normalize,
        on_error=on_error,
    )
    options = (target_rate, window_seconds, stride_seconds, tuple(leads or ()), normalize, on_error)
    files = [header.path.with_suffix(suffix) for header in headers for suffix in (".hea", ".dat", ".mat")]
    return build_dataset(
        generate,
        headers,
        FEATURES,
        streaming=streaming,
        report=report,
        fingerprint_inputs=(file_identity(files), options),
    )


def _samples(seconds: float, rate: float) -> int:
    return max(1, round(seconds * rate))


def _long_enough(
    headers: list[WfdbHeader],
    target_rate: float | None,
    window_seconds: float,
    on_error: OnError,
    report: ReadReport,
) -> list[WfdbHeader]:
    kept = []
    for header in headers:
        rate = target_rate or header.sampling_rate
        ratio = rate_ratio(header.sampling_rate, rate)
        length = math.ceil(header.length * ratio.numerator / ratio.denominator)
        try:
            window_starts(length, _samples(window_seconds, rate), 1, str(header.path))
        except RecordError as error:
            report.handle(error, on_error)
            continue
        kept.append(header)
    return kept


def _generate_examples(
    shards: Sequence[WfdbHeader],
    report: ReadReport,
    *,
    target_rate: float | None,
    window_seconds: float | None,
    stride_seconds: float | None,
    leads: tuple[str, ...] | None,
    normalize: bool,
    on_error: OnError,
) -> Iterator[dict]:
    for header in shards:
        try:
            signal, rate, lead_names = read_wfdb_signal(header, target_rate, leads)
        except RecordError as error:
            report.handle(error, on_error)
            continue
        window = None if window_seconds is None else _samples(window_seconds, rate)
        stride = None if stride_seconds is None else _samples(stride_seconds, rate)
        windows = checked_windows(
            signal,
            str(header.path),
            window=window,
            stride=stride,
            normalize=normalize,
            on_error=on_error,
            report=report,
            lead_names=lead_names,
        )
        for start, piece in windows:
            yield {
                "signal": piece,
                "label": list(header.dx_codes or ()),
                "record": header.path.name,
                "sampling_rate": rate,
                "start": start,
            }
