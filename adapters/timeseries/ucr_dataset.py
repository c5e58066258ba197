"""UCR / UEA classification files (``.tsv`` of the 2018 archive, sktime ``.ts``) as a Hugging Face dataset.

Example:
    >>> train = ucr_dataset("../shared/data/timeseries/ucr_ecg/ECG200/ECG200_TRAIN.tsv")  # doctest: +SKIP
    >>> train.features["label"].names, len(train)  # doctest: +SKIP
    (['-1', '1'], 100)
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import datasets

from mmcl.adapters.timeseries.checked_windows import checked_windows
from mmcl.adapters.timeseries.generated_dataset import SIGNAL_FEATURE, build_dataset, file_identity
from mmcl.adapters.timeseries.read_errors import OnError, ReadReport, RecordError, check_on_error
from mmcl.adapters.timeseries.sktime_ts import parse_ts_line, read_ts_header, ts_data_lines
from mmcl.adapters.timeseries.ucr_tsv import parse_ucr_tsv_line, ucr_tsv_lines

_SUFFIXES = (".tsv", ".ts")


def ucr_dataset(
    paths: str | Path | Sequence[str | Path],
    *,
    class_names: Sequence[str] | None = None,
    normalize: bool = False,
    on_error: OnError = "raise",
    report: ReadReport | None = None,
    streaming: bool = False,
) -> datasets.Dataset | datasets.IterableDataset:
    """One example per series of UCR ``.tsv`` / sktime ``.ts`` files.

    Args:
        paths: One or more ``.tsv`` or ``.ts`` files (one shard each).
        class_names: The label names, in class-index order; pass the training split's
            ``features["label"].names`` when reading its test split so both share indices. Default: the
            labels a ``.ts`` header declares, else those found in the files, sorted (numerically if numbers).
        normalize: Z-normalise each lead (UCR series already are).
        on_error: ``"raise"`` on the first bad file / series, or ``"skip"`` it and count it in ``report``.
        report: Receives the counts of examples and of skips by reason.
        streaming: Return a lazily read `IterableDataset` with one shard per file.

    Returns:
        Examples ``{"signal": float32 (leads, time), "label": class index, "record": "<file>:<row>"}``; files
        without labels give label -1.
    """
    check_on_error(on_error)
    report = report if report is not None else ReadReport()
    files = [Path(path) for path in ([paths] if isinstance(paths, (str, Path)) else paths)]
    for path in files:
        if path.suffix not in _SUFFIXES:
            raise ValueError(f"{path}: expected a UCR .tsv or sktime .ts file, got suffix {path.suffix!r}")
    readable = []
    for path in files:
        if path.exists():
            readable.append(path)
        else:
            report.handle(RecordError(str(path), "missing_file", "does not exist; check the path"), on_error)
    names = list(class_names) if class_names is not None else _found_class_names(readable)
    features = datasets.Features(
        {
            "signal": SIGNAL_FEATURE,
            "label": datasets.ClassLabel(names=names),
            "record": datasets.Value("string"),
        }
    )
    generate = functools.partial(
        _generate_examples, class_names=tuple(names), normalize=normalize, on_error=on_error
    )
    return build_dataset(
        generate,
        [str(path) for path in readable],
        features,
        streaming=streaming,
        report=report,
        fingerprint_inputs=(file_identity(readable), tuple(names), normalize, on_error),
    )


def _sort_key(label: str) -> tuple[int, float, str]:
    try:
        return (0, float(label), label)
    except ValueError:
        return (1, 0.0, label)


def _found_class_names(paths: Sequence[Path]) -> list[str]:
    labels: dict[str, None] = {}
    for path in paths:
        if path.suffix == ".ts":
            declared = read_ts_header(path).class_labels
            labels.update(dict.fromkeys(declared or ()))
        else:
            for record, line in ucr_tsv_lines(path):
                try:
                    labels[parse_ucr_tsv_line(line, record)[0]] = None
                except RecordError:
                    continue  # reported when the examples are generated
    if all(path.suffix == ".ts" for path in paths):
        return list(labels)
    return sorted(labels, key=_sort_key)


def _rows_and_parser(path: Path) -> tuple[Iterator[tuple[str, str]], Callable[[str, str], tuple]]:
    if path.suffix == ".ts":
        return ts_data_lines(path), functools.partial(parse_ts_line, header=read_ts_header(path))
    return ucr_tsv_lines(path), parse_ucr_tsv_line


def _generate_examples(
    shards: Sequence[str],
    report: ReadReport,
    *,
    class_names: tuple[str, ...],
    normalize: bool,
    on_error: OnError,
) -> Iterator[dict]:
    index = {name: position for position, name in enumerate(class_names)}
    for shard in shards:
        rows, parse = _rows_and_parser(Path(shard))
        for record, line in rows:
            try:
                label, series = parse(line, record)
                if label is not None and label not in index:
                    raise RecordError(
                        record,
                        "unknown_label",
                        f"has label {label!r}, not one of class_names {list(class_names)}; add it to class_names "
                        f"or pass on_error='skip'",
                    )
            except RecordError as error:
                report.handle(error, on_error)
                continue
            for _, piece in checked_windows(
                series,
                record,
                window=None,
                stride=None,
                normalize=normalize,
                on_error=on_error,
                report=report,
            ):
                yield {"signal": piece, "label": -1 if label is None else index[label], "record": record}
