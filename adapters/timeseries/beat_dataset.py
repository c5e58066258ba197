"""Beat-centred segments of annotated WFDB records (MIT-BIH style) as a Hugging Face dataset.

Each beat annotation (``wfdb.rdann``; by default the reference ``.atr``) whose symbol is a beat label gives
one segment from ``before_seconds`` before to ``after_seconds`` after the annotated sample, labelled with the
beat symbol (``N``, ``V``, ``A``, ...). Non-beat annotations (rhythm changes ``+``, noise ``~``, ...) are
ignored; beats too close to either end of the record have no full segment and are counted in the report
under ``"beat_at_record_edge"``.

Example:
    >>> beats = beat_dataset("../shared/data/timeseries/mitbih_100/100", target_rate=100)  # doctest: +SKIP
    >>> beats[0]["label"], len(beats[0]["signal"][0])  # doctest: +SKIP
    ('N', 70)
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from pathlib import Path

import datasets
import numpy as np
import wfdb

from mmcl.adapters.timeseries.beat_segments import beat_segments
from mmcl.adapters.timeseries.checked_windows import checked_windows
from mmcl.adapters.timeseries.generated_dataset import SIGNAL_FEATURE, build_dataset, file_identity
from mmcl.adapters.timeseries.read_errors import OnError, ReadReport, RecordError, check_on_error
from mmcl.adapters.timeseries.resampling import resampled_index
from mmcl.adapters.timeseries.wfdb_records import (
    WfdbHeader,
    check_sampling_rates,
    find_wfdb_records,
    read_wfdb_header,
    read_wfdb_signal,
)

BEAT_SYMBOLS = frozenset("NLRBAaJSVrFejnE/fQ?")
"""WFDB annotation symbols that mark a beat (``wfdb.io.annotation.ann_label_table``, beat codes)."""

FEATURES = datasets.Features(
    {
        "signal": SIGNAL_FEATURE,
        "label": datasets.Value("string"),
        "record": datasets.Value("string"),
        "sampling_rate": datasets.Value("float32"),
        "sample": datasets.Value("int64"),
    }
)


def beat_dataset(
    records: str | Path | Sequence[str | Path],
    *,
    annotator: str = "atr",
    before_seconds: float = 0.3,
    after_seconds: float = 0.4,
    target_rate: float | None = None,
    leads: Sequence[str] | None = None,
    beat_symbols: frozenset[str] = BEAT_SYMBOLS,
    normalize: bool = True,
    on_error: OnError = "raise",
    report: ReadReport | None = None,
    streaming: bool = False,
) -> datasets.Dataset | datasets.IterableDataset:
    """One example per annotated beat, centred on the annotation sample.

    Args:
        records: Record paths (with or without ``.hea``), or directories of records, or one of either.
        annotator: Annotation file extension (``"atr"`` for MIT-BIH reference annotations).
        before_seconds: Duration kept before the annotated sample.
        after_seconds: Duration kept from the annotated sample on.
        target_rate: Resample records (and annotation positions) to this rate (Hz).
        leads: Lead names to keep, in this order (default: all).
        beat_symbols: Annotation symbols that count as beats (default: every WFDB beat symbol).
        normalize: Z-normalise each lead of each segment.
        on_error: ``"raise"`` on the first bad record / segment, or ``"skip"`` it and count it in ``report``.
        report: Receives the counts of examples and of skips by reason.
        streaming: Return a lazily read `IterableDataset` with one shard per record.

    Returns:
        Examples ``{"signal": float32 (leads, before + after samples), "label": beat symbol, "record": record
        name, "sampling_rate": Hz, "sample": annotated sample at that rate}``; the annotated sample is at
        index ``round(before_seconds * sampling_rate)`` of the segment.
    """
    check_on_error(on_error)
    report = report if report is not None else ReadReport()
    headers = []
    for path in find_wfdb_records(records):
        try:
            header = read_wfdb_header(path, leads)
            if not path.with_suffix(f".{annotator}").exists():
                raise RecordError(
                    str(path),
                    "missing_file",
                    f"annotation file {path}.{annotator} is missing; restore it, choose another annotator, or "
                    f"pass on_error='skip'",
                )
        except RecordError as error:
            report.handle(error, on_error)
            continue
        headers.append(header)
    headers = check_sampling_rates(headers, target_rate, on_error, report)

    generate = functools.partial(
        _generate_examples,
        annotator=annotator,
        before_seconds=before_seconds,
        after_seconds=after_seconds,
        target_rate=target_rate,
        leads=tuple(leads) if leads else None,
        beat_symbols=frozenset(beat_symbols),
        normalize=normalize,
        on_error=on_error,
    )
    options = (
        annotator,
        before_seconds,
        after_seconds,
        target_rate,
        tuple(leads or ()),
        sorted(beat_symbols),
    )
    files = [
        header.path.with_suffix(s) for header in headers for s in (".hea", ".dat", ".mat", f".{annotator}")
    ]
    return build_dataset(
        generate,
        headers,
        FEATURES,
        streaming=streaming,
        report=report,
        fingerprint_inputs=(file_identity(files), options, normalize, on_error),
    )


def _generate_examples(
    shards: Sequence[WfdbHeader],
    report: ReadReport,
    *,
    annotator: str,
    before_seconds: float,
    after_seconds: float,
    target_rate: float | None,
    leads: tuple[str, ...] | None,
    beat_symbols: frozenset[str],
    normalize: bool,
    on_error: OnError,
) -> Iterator[dict]:
    for header in shards:
        try:
            signal, rate, lead_names = read_wfdb_signal(header, target_rate, leads)
        except RecordError as error:
            report.handle(error, on_error)
            continue
        annotation = wfdb.rdann(str(header.path), annotator)
        is_beat = np.isin(np.asarray(annotation.symbol), list(beat_symbols))
        symbols = np.asarray(annotation.symbol)[is_beat]
        centres = resampled_index(np.asarray(annotation.sample)[is_beat], header.sampling_rate, rate)
        before, after = round(before_seconds * rate), max(1, round(after_seconds * rate))
        segments, kept = beat_segments(signal, centres, before, after)
        report.skipped["beat_at_record_edge"] += len(centres) - len(kept)
        for segment, index in zip(segments, kept, strict=True):
            name = f"{header.path}@{centres[index]}"
            for _, piece in checked_windows(
                segment,
                name,
                window=None,
                stride=None,
                normalize=normalize,
                on_error=on_error,
                report=report,
                lead_names=lead_names,
            ):
                yield {
                    "signal": piece,
                    "label": str(symbols[index]),
                    "record": header.path.name,
                    "sampling_rate": rate,
                    "sample": int(centres[index]),
                }
