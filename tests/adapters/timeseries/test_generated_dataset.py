"""Reader output as datasets: cache reuse keeps the skip report, streaming counts as it iterates, and a
reader's own error surfaces unwrapped."""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence

import datasets
import pytest

from mmcl.adapters.timeseries.generated_dataset import build_dataset
from mmcl.adapters.timeseries.read_errors import ReadReport, RecordError

FEATURES = datasets.Features({"record": datasets.Value("string")})
CALLS: list[str] = []


def generate(
    shards: Sequence[str], report: ReadReport, bad: tuple[str, ...], on_error: str
) -> Iterator[dict]:
    for shard in shards:
        CALLS.append(shard)
        if shard in bad:
            report.handle(RecordError(shard, "nan", "has NaNs"), on_error)
            continue
        report.examples += 1
        yield {"record": shard}


def build(shards: list[str], bad: tuple[str, ...] = (), on_error: str = "skip", **kwargs) -> tuple:
    report = ReadReport()
    dataset = build_dataset(
        functools.partial(generate, bad=bad, on_error=on_error),
        shards,
        FEATURES,
        report=report,
        fingerprint_inputs=(tuple(shards), bad, on_error),
        **kwargs,
    )
    return dataset, report


def test_cached_dataset_restores_the_skip_report() -> None:
    CALLS.clear()
    first, first_report = build(["a", "b", "c"], bad=("b",), streaming=False)
    second, second_report = build(["a", "b", "c"], bad=("b",), streaming=False)
    assert CALLS == ["a", "b", "c"]  # generated once, then read from the cache
    assert first["record"] == second["record"] == ["a", "c"]
    assert first_report.to_dict() == second_report.to_dict()
    assert second_report.examples == 2 and second_report.skipped == {"nan": 1}
    assert str(second_report) == "2 examples, 1 skipped (nan: 1)"


def test_streaming_counts_while_iterating() -> None:
    dataset, report = build(["a", "b", "c", "d"], bad=("c",), streaming=True)
    assert report.examples == 0 and dataset.n_shards == 4
    assert [example["record"] for example in dataset] == ["a", "b", "d"]
    assert report.examples == 3 and report.skipped == {"nan": 1}


def test_reader_errors_are_raised_as_themselves() -> None:
    with pytest.raises(RecordError, match="b: has NaNs"):
        build(["a", "b"], bad=("b",), on_error="raise", streaming=False)
    streamed, _ = build(["a", "b"], bad=("b",), on_error="raise", streaming=True)
    with pytest.raises(RecordError, match="b: has NaNs"):
        list(streamed)


def test_nothing_left_is_an_error() -> None:
    with pytest.raises(ValueError, match=r"everything was skipped \(0 examples, 2 skipped \(nan: 2\)\)"):
        build(["a", "b"], bad=("a", "b"), streaming=False)
    with pytest.raises(ValueError, match="nothing to read"):
        build([], streaming=True)
