"""numpy arrays as datasets: windows against a naive slicing loop, labels, ragged series, bad input."""

from __future__ import annotations

import numpy as np
import pytest
from datasets.distributed import split_dataset_by_node

from mmcl.adapters.timeseries import ReadReport, RecordError, array_dataset


def test_windows_match_a_naive_loop() -> None:
    signals = np.random.default_rng(0).normal(size=(5, 3, 230))
    dataset = array_dataset(signals, labels=np.arange(5) * 10, window=50, stride=40).with_format("numpy")
    expected = [
        (index, start, signals[index][:, start : start + 50])
        for index in range(5)
        for start in range(0, 230 - 50 + 1, 40)
    ]
    assert len(dataset) == len(expected)
    for example, (index, start, window) in zip(dataset, expected, strict=True):
        assert example["record"] == f"array:{index}" and example["start"] == start
        assert example["label"] == index * 10
        np.testing.assert_allclose(example["signal"], window, atol=1e-6)


def test_single_lead_ragged_series_with_string_labels() -> None:
    series = [np.arange(10.0), np.arange(7.0) ** 2]
    dataset = array_dataset(series, labels=["a", "b"], normalize=True)
    assert dataset.features["label"].dtype == "string" and dataset["label"] == ["a", "b"]
    second = np.asarray(dataset["signal"][1])
    assert second.shape == (1, 7)
    np.testing.assert_allclose(second[0], (series[1] - series[1].mean()) / series[1].std(), atol=1e-6)


def test_streaming_shards_split_across_nodes() -> None:
    signals = np.random.default_rng(0).normal(size=(10, 1, 20))
    streamed = array_dataset(signals, shard_size=3, streaming=True)
    assert streamed.n_shards == 4
    seen = [[example["record"] for example in split_dataset_by_node(streamed, rank, 2)] for rank in (0, 1)]
    assert sorted(seen[0] + seen[1], key=lambda name: int(name.split(":")[1])) == [
        f"array:{i}" for i in range(10)
    ]
    assert not set(seen[0]) & set(seen[1])


def test_bad_series_fail_or_are_skipped() -> None:
    signals = np.random.default_rng(0).normal(size=(4, 2, 100))
    signals[1, 0, 10] = np.nan
    signals[2, 1] = 3.0
    with pytest.raises(RecordError, match=r"array:1: lead 0 has 1 NaN values \(first at sample 10\)"):
        array_dataset(signals)
    report = ReadReport()
    assert array_dataset(signals, on_error="skip", report=report)["record"] == ["array:0", "array:3"]
    assert report.skipped == {"nan": 1, "flat_lead": 1} and report.examples == 2
    with pytest.raises(RecordError, match="100 samples is shorter than the window of 101"):
        array_dataset(signals[[0]], window=101)
    with pytest.raises(ValueError, match="4 series but 3 labels"):
        array_dataset(signals, labels=[0, 1, 2])
