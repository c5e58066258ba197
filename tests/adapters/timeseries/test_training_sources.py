"""The adapter's training sources: ``source_groups`` (single-source groups) and ``split_leads``."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from mmcl.adapters.timeseries import TimeSeriesAdapter
from mmcl.adapters.timeseries.adapter import DATA_DIR
from mmcl.adapters.timeseries.beat_dataset import beat_dataset
from mmcl.adapters.timeseries.read_errors import RecordError
from mmcl.adapters.timeseries.source_groups import source_groups


def test_groups_hold_one_source_each_and_cover_it_evenly() -> None:
    sizes, group_size = (3, 40, 17), 8
    # Window i of source s is the constant 1000 * s + i, so a window's value names its source and row.
    sources = [(1000.0 * s + np.arange(n))[:, None, None] * np.ones((1, 2, 5)) for s, n in enumerate(sizes)]
    groups = source_groups(sources, group_size, seed=1)
    per_source = math.ceil(max(sizes) / group_size)
    assert groups.shape == (len(sizes) * per_source, group_size, 2, 5)
    for s, n in enumerate(sizes):
        values = groups[s * per_source : (s + 1) * per_source, :, 0, 0].ravel()
        assert set((values // 1000).astype(int)) == {s}  # one source per group, in source order
        counts = np.bincount((values - 1000 * s).astype(int), minlength=n)
        assert counts.max() - counts.min() <= 1  # concatenated permutations cover a source evenly
        assert counts.min() >= per_source * group_size // n


def test_bad_input_is_named() -> None:
    with pytest.raises(ValueError, match=r"\[1\]"):
        source_groups([np.zeros((2, 1, 3)), np.zeros((0, 1, 3))], 2)
    with pytest.raises(ValueError, match="same window shape"):
        source_groups([np.zeros((2, 1, 3)), np.zeros((2, 1, 4))], 2)
    with pytest.raises(ValueError, match="group_size"):
        source_groups([np.zeros((2, 1, 3))], 0)


def test_adapter_batches_hold_windows_of_one_training_file() -> None:
    options = TimeSeriesAdapter.Options(window_length=64, window_stride=16, source_group_size=16)
    adapter = TimeSeriesAdapter(options)
    dataset = adapter.load_dataset("train")
    # ECG5000 (500 x 140) gives the most windows: 5 each, 2500 -> 157 groups of 16 for each of the 3 files.
    assert len(dataset) == 3 * 157
    batch = adapter.collate([dataset[0], dataset[200], dataset[400]])
    assert tuple(batch.shape) == (48, 1, 64)
    windows = {}
    for index, name in enumerate(("ECG200", "TwoLeadECG", "ECG5000")):
        rows = np.loadtxt(DATA_DIR / "ucr" / f"{name}_TRAIN.tsv", delimiter="\t")[:, 1:]
        windows[index] = {
            tuple(np.round(row[start : start + 64], 4))
            for row in rows
            for start in (0, 16, 32, 48, 64, 76)
            if start + 64 <= rows.shape[1]
        }
    for part, source in zip(batch.split(16), (0, 1, 2), strict=True):
        assert all(tuple(np.round(window[0].double().numpy(), 4)) in windows[source] for window in part)


def test_split_leads_gives_single_lead_beat_windows() -> None:
    record = str(DATA_DIR / "mitdb" / "100")  # MIT-BIH record 100: 2 leads
    options = TimeSeriesAdapter.Options(
        ucr_files=[],
        beat_records=[record],
        split_leads=True,
        target_rate=128.0,
        window_length=82,
        window_stride=8,
    )
    dataset = TimeSeriesAdapter(options).load_dataset("train")
    beats = beat_dataset(record, target_rate=128.0).with_format("numpy")
    first = np.asarray(beats[0]["signal"])  # (2 leads, 89 samples): one 82-sample window per lead
    assert len(dataset) == 2 * len(beats)
    np.testing.assert_allclose(dataset[0]["signal"], first[0:1, :82])
    np.testing.assert_allclose(dataset[1]["signal"], first[1:2, :82])
    with pytest.raises(RecordError, match="split_leads"):
        TimeSeriesAdapter(replace(options, split_leads=False)).load_dataset("train")
