"""In-memory numpy arrays as a Hugging Face dataset (whole series or fixed windows).

Example:
    >>> import numpy as np
    >>> signals = np.random.default_rng(0).normal(size=(10, 3, 500))
    >>> dataset = array_dataset(signals, labels=np.arange(10), window=100)  # doctest: +SKIP
    >>> len(dataset)  # doctest: +SKIP
    50
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterator, Sequence

import datasets
import numpy as np

from mmcl.adapters.timeseries.checked_windows import checked_windows
from mmcl.adapters.timeseries.generated_dataset import SIGNAL_FEATURE, build_dataset
from mmcl.adapters.timeseries.read_errors import OnError, ReadReport, check_on_error


def array_dataset(
    signals: np.ndarray | Sequence[np.ndarray],
    labels: np.ndarray | Sequence | None = None,
    *,
    window: int | None = None,
    stride: int | None = None,
    normalize: bool = False,
    shard_size: int = 1024,
    on_error: OnError = "raise",
    report: ReadReport | None = None,
    streaming: bool = False,
) -> datasets.Dataset | datasets.IterableDataset:
    """One example per series (or per window) of ``signals``.

    Args:
        signals: ``(series, leads, time)`` or ``(series, time)`` (one lead) array, or a sequence of
            ``(leads, time)`` / ``(time,)`` arrays whose lengths may differ.
        labels: One label per series (integers, floats or strings), or None.
        window: Window length in samples; None keeps each series whole.
        stride: Step between windows (default: ``window``, no overlap).
        normalize: Z-normalise each lead of each example.
        shard_size: Series per shard of the streaming dataset.
        on_error: ``"raise"`` on the first bad series / window, or ``"skip"`` it and count it in ``report``.
        report: Receives the counts of examples and of skips by reason.
        streaming: Return a lazily read `IterableDataset` with one shard per ``shard_size`` series.

    Returns:
        Examples ``{"signal": float32 (leads, time), "label": label or None, "record": "array:<index>",
        "start": first sample of the window}``.
    """
    check_on_error(on_error)
    report = report if report is not None else ReadReport()
    series = [np.atleast_2d(_floating(np.asarray(signal))) for signal in signals]
    if any(signal.ndim != 2 for signal in series):
        raise ValueError("array_dataset: each series must be (leads, time) or (time,); got a deeper array")
    label_array = None if labels is None else np.asarray(labels)
    if label_array is not None and len(label_array) != len(series):
        raise ValueError(
            f"array_dataset: {len(series)} series but {len(label_array)} labels; pass one label per series"
        )
    features = datasets.Features(
        {
            "signal": SIGNAL_FEATURE,
            "label": _label_feature(label_array),
            "record": datasets.Value("string"),
            "start": datasets.Value("int64"),
        }
    )
    digest = hashlib.sha256()
    for part in [*series, *([] if label_array is None else [label_array.astype(str)])]:
        digest.update(repr(part.shape).encode())
        digest.update(np.ascontiguousarray(part).tobytes())
    generate = functools.partial(
        _generate_examples,
        series=series,
        labels=label_array,
        window=window,
        stride=stride,
        normalize=normalize,
        on_error=on_error,
    )
    shards = [(start, min(start + shard_size, len(series))) for start in range(0, len(series), shard_size)]
    return build_dataset(
        generate,
        shards,
        features,
        streaming=streaming,
        report=report,
        fingerprint_inputs=(digest.hexdigest(), window, stride, normalize, on_error),
    )


def _floating(signal: np.ndarray) -> np.ndarray:
    """float16 / float32 / float64 arrays as they are (no copy), anything else as float64."""
    return signal if signal.dtype.kind == "f" else signal.astype(np.float64)


def _label_feature(labels: np.ndarray | None) -> datasets.Value:
    if labels is None:
        return datasets.Value("null")
    return datasets.Value(
        {"f": "float64", "i": "int64", "u": "int64", "b": "bool"}.get(labels.dtype.kind, "string")
    )


def _generate_examples(
    shards: Sequence[tuple[int, int]],
    report: ReadReport,
    *,
    series: list[np.ndarray],
    labels: np.ndarray | None,
    window: int | None,
    stride: int | None,
    normalize: bool,
    on_error: OnError,
) -> Iterator[dict]:
    for first, stop in shards:
        for index in range(first, stop):
            for start, piece in checked_windows(
                series[index],
                f"array:{index}",
                window=window,
                stride=stride,
                normalize=normalize,
                on_error=on_error,
                report=report,
            ):
                yield {
                    "signal": piece,
                    "label": None if labels is None else labels[index].item(),
                    "record": f"array:{index}",
                    "start": start,
                }
