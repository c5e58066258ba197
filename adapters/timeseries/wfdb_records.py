"""WFDB records (PhysioNet, CinC): finding them, checking their headers up front, reading their signals.

A record is a ``.hea`` header plus the signal files it lists (``.dat`` in MIT-BIH's format 212, ``.mat`` in
the CinC challenges' format ``16x1+24``, ...), read with ``wfdb``. Header checks — the signal files exist,
the requested leads exist, all records share a sampling rate unless one target rate is asked for — only read
the small headers, so a reader fails (or skips) before training starts; signals are read lazily.

Example:
    >>> records = find_wfdb_records("../shared/data/timeseries/mitbih_100")  # doctest: +SKIP
    >>> header = read_wfdb_header(records[0])  # doctest: +SKIP
    >>> header.sampling_rate, header.lead_names  # doctest: +SKIP
    (360.0, ('MLII', 'V5'))
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import wfdb

from mmcl.adapters.timeseries.physionet_labels import dx_codes
from mmcl.adapters.timeseries.read_errors import OnError, ReadReport, RecordError
from mmcl.adapters.timeseries.resampling import resample_to_rate


@dataclass(frozen=True)
class WfdbHeader:
    """What a record's header says.

    Attributes:
        path: Record path without extension.
        sampling_rate: Samples per second.
        length: Samples per lead.
        lead_names: Name of each lead.
        dx_codes: SNOMED-CT codes of the ``# Dx:`` comment line, or None if there is none.
    """

    path: Path
    sampling_rate: float
    length: int
    lead_names: tuple[str, ...]
    dx_codes: tuple[str, ...] | None


def find_wfdb_records(records: str | Path | Sequence[str | Path]) -> list[Path]:
    """Record paths without extension; a directory stands for all its ``.hea`` files (sorted).

    Example:
        >>> find_wfdb_records(["data/100.hea", "data/101"])
        [PosixPath('data/100'), PosixPath('data/101')]
    """
    items = [records] if isinstance(records, (str, Path)) else list(records)
    paths: list[Path] = []
    for item in items:
        path = Path(item)
        if path.is_dir():
            paths.extend(sorted(header.with_suffix("") for header in path.glob("*.hea")))
        else:
            paths.append(path.with_suffix("") if path.suffix == ".hea" else path)
    return paths


def read_wfdb_header(path: Path, leads: Sequence[str] | None = None) -> WfdbHeader:
    """Read and check a record's header: it and every signal file it lists exist, and so do ``leads``.

    Raises:
        RecordError: ``"missing_file"`` or ``"missing_lead"``, naming the record and the fix.
    """
    record = str(path)
    if not path.with_suffix(".hea").exists():
        raise RecordError(
            record,
            "missing_file",
            f"header {path}.hea does not exist; check the path, or pass on_error='skip'",
        )
    header = wfdb.rdheader(record)
    if hasattr(header, "seg_name"):  # a multi-segment record lists the headers of its segments
        listed = [f"{name}.hea" for name in header.seg_name if name != "~"]
    else:
        listed = header.file_name or []
    for name in dict.fromkeys(listed):
        if not (path.parent / name).exists():
            raise RecordError(
                record,
                "missing_file",
                f"signal file {path.parent / name} listed in {path.name}.hea is missing; restore it (a WFDB "
                f"record needs its .hea and its .dat/.mat), or pass on_error='skip' to skip this record",
            )
    lead_names = tuple(header.sig_name)
    missing = [lead for lead in leads or () if lead not in lead_names]
    if missing:
        raise RecordError(
            record,
            "missing_lead",
            f"has no lead {missing} (it has {list(lead_names)}); choose leads every record has, or pass "
            f"on_error='skip'",
        )
    codes = dx_codes(header.comments)
    return WfdbHeader(
        path, float(header.fs), int(header.sig_len), lead_names, None if codes is None else tuple(codes)
    )


def check_sampling_rates(
    headers: list[WfdbHeader], target_rate: float | None, on_error: OnError, report: ReadReport
) -> list[WfdbHeader]:
    """Without a ``target_rate`` all records must share the first record's rate; others raise or are skipped."""
    if target_rate is not None or not headers:
        return headers
    rate, first = headers[0].sampling_rate, headers[0].path
    kept = []
    for header in headers:
        if header.sampling_rate == rate:
            kept.append(header)
            continue
        report.handle(
            RecordError(
                str(header.path),
                "mixed_sampling_rates",
                f"is sampled at {header.sampling_rate:g} Hz but {first} at {rate:g} Hz; pass target_rate=... "
                f"to resample every record to one rate, or on_error='skip' to skip this record",
            ),
            on_error,
        )
    return kept


def read_wfdb_signal(
    header: WfdbHeader, target_rate: float | None, leads: Sequence[str] | None = None
) -> tuple[np.ndarray, float, tuple[str, ...]]:
    """The record's physical signal ``(leads, time)`` (float64), resampled to ``target_rate`` if given.

    Returns:
        ``(signal, sampling_rate, lead_names)`` after lead selection and resampling.

    Raises:
        RecordError: ``"nan"`` if the record has NaN samples (gaps) and must be resampled, which would
            spread them; at the native rate the caller checks and skips windows one by one instead.
    """
    lead_names = tuple(leads) if leads else header.lead_names
    channels = [header.lead_names.index(lead) for lead in lead_names]
    signal = wfdb.rdrecord(str(header.path), channels=channels).p_signal.T.astype(np.float64)
    if target_rate is None or target_rate == header.sampling_rate:
        return signal, header.sampling_rate, lead_names
    if np.isnan(signal).any():
        raise RecordError(
            str(header.path),
            "nan",
            f"has {int(np.isnan(signal).sum())} NaN samples, which resampling to {target_rate:g} Hz would spread; "
            f"read it at its own rate (target_rate=None) to skip only the windows with gaps, or pass on_error='skip'",
        )
    return resample_to_rate(signal, header.sampling_rate, target_rate), float(target_rate), lead_names
