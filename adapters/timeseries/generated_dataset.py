"""Turning a reader's example generator into a Hugging Face `Dataset` or streaming `IterableDataset`.

Readers hand over a generator function ``generate(shards, report)`` and the list of shards (files, records
or index ranges). The shards go into ``gen_kwargs``, so the `IterableDataset` has one shard per entry and
``datasets.distributed.split_dataset_by_node`` and DataLoader workers split them; the map-style `Dataset`
is written once to the ``datasets`` cache under a fingerprint of the inputs (file paths, sizes and
modification times, and the reader's options), and reused while they are unchanged.

The skips counted while generating land in the caller's `ReadReport`; for a map-style dataset they are also
stored next to the cached Arrow file and restored when the cache is reused. For a streaming dataset they are
counted as iteration goes, in the iterating process (each DataLoader worker counts its own; every skip is
also logged).

Example:
    >>> def generate(shards, report):
    ...     for shard in shards:
    ...         report.examples += 1
    ...         yield {"record": shard}
    >>> features = datasets.Features({"record": datasets.Value("string")})
    >>> build_dataset(generate, ["a", "b"], features, streaming=True, report=ReadReport(),
    ...               fingerprint_inputs=("demo",)).n_shards
    2
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

import datasets

import mmcl
from mmcl.adapters.timeseries.read_errors import ReadReport, RecordError

_REPORT_FILE = "mmcl_read_report.json"

SIGNAL_FEATURE = datasets.List(datasets.List(datasets.Value("float32")))
"""The ``"signal"`` column of every reader: float32 ``(leads, time)``, time may differ between examples."""


def file_identity(paths: Iterable[str | Path]) -> tuple[tuple[str, int, int], ...]:
    """``(absolute path, size, mtime_ns)`` of each existing file: changes when a file is replaced or edited."""
    identity = []
    for path in paths:
        path = Path(path).resolve()
        if path.exists():
            status = path.stat()
            identity.append((str(path), status.st_size, status.st_mtime_ns))
    return tuple(identity)


def build_dataset(
    generate: Callable[[Sequence, ReadReport], Iterator[dict]],
    shards: Sequence,
    features: datasets.Features,
    *,
    streaming: bool,
    report: ReadReport,
    fingerprint_inputs: object,
) -> datasets.Dataset | datasets.IterableDataset:
    """Build the dataset of ``generate`` over ``shards``; skips are counted into ``report``.

    Args:
        generate: Picklable function (module level, or a ``functools.partial`` of one) yielding examples.
        shards: One entry per shard, handed to ``generate`` in ``gen_kwargs["shards"]``.
        features: The examples' features.
        streaming: Return an `IterableDataset` (lazy, shardable) instead of a cached `Dataset`.
        report: Receives the counts of produced and skipped examples.
        fingerprint_inputs: Everything the examples depend on (``file_identity`` of the inputs, options).

    Raises:
        RecordError: The generator's first error when it raises (``on_error="raise"``).
        ValueError: If no shard is left, or (map-style) every example was skipped.
    """
    if not shards:
        raise ValueError(f"nothing to read: every input was skipped ({report})")
    if streaming:
        return datasets.IterableDataset.from_generator(
            _generate_into_report,
            features=features,
            gen_kwargs={"shards": list(shards), "generate": generate, "report": report},
        )
    generated = ReadReport()
    reader = getattr(generate, "func", generate).__qualname__  # a functools.partial names its function
    fingerprint = hashlib.sha256(repr((mmcl.__version__, reader, fingerprint_inputs)).encode()).hexdigest()
    run = {"ran": False}
    try:
        dataset = datasets.Dataset.from_generator(
            _generate_into_report,
            features=features,
            gen_kwargs={"shards": list(shards), "generate": generate, "report": generated, "run": run},
            fingerprint=fingerprint,
        )
    except datasets.exceptions.DatasetGenerationError as error:
        if isinstance(error.__cause__, RecordError):  # on_error="raise": surface the reader's own message
            raise error.__cause__ from None
        raise
    except ValueError as error:
        if run["ran"] and generated.examples == 0:
            report.merge(generated)
            raise ValueError(f"no examples left: everything was skipped ({report})") from error
        raise
    report_file = Path(dataset.cache_files[0]["filename"]).parent / _REPORT_FILE
    if run["ran"]:
        _write_atomically(report_file, json.dumps(generated.to_dict()))
    elif report_file.exists():
        generated = ReadReport.from_dict(json.loads(report_file.read_text()))
    report.merge(generated)
    return dataset


def _generate_into_report(
    shards: Sequence,
    generate: Callable[[Sequence, ReadReport], Iterator[dict]],
    report: ReadReport,
    run: dict | None = None,
) -> Iterator[dict]:
    if run is not None:
        run["ran"] = True
    yield from generate(shards, report)


def _write_atomically(path: Path, text: str) -> None:
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text)
    os.replace(partial, path)
