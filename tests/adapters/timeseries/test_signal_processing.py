"""The signal steps the readers share, each against an independent reference (naive loops, scipy)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import scipy.signal
import scipy.stats

from mmcl.adapters.timeseries import (
    RecordError,
    beat_segments,
    check_signal,
    dx_codes,
    find_wfdb_records,
    resample_to_rate,
    sliding_windows,
    z_normalize,
)
from mmcl.adapters.timeseries.resampling import rate_ratio, resampled_index


def test_sliding_windows_match_a_naive_loop() -> None:
    signal = np.random.default_rng(0).normal(size=(3, 103))
    windows = sliding_windows(signal, window=20, stride=7, record="demo")
    expected = []
    start = 0
    while start + 20 <= 103:
        expected.append(signal[:, start : start + 20])
        start += 7
    np.testing.assert_array_equal(windows, np.stack(expected))
    with pytest.raises(RecordError, match="demo: 103 samples is shorter than the window of 104"):
        sliding_windows(signal, window=104, stride=1, record="demo")


def test_beat_segments_centre_each_beat_and_drop_edge_beats() -> None:
    signal = np.random.default_rng(0).normal(size=(2, 500))
    centres = np.array([3, 50, 250, 497, 480])
    segments, kept = beat_segments(signal, centres, before=10, after=20)
    assert kept.tolist() == [1, 2, 4]
    for segment, index in zip(segments, kept, strict=True):
        centre = centres[index]
        np.testing.assert_array_equal(segment, signal[:, centre - 10 : centre + 20])
        np.testing.assert_array_equal(segment[:, 10], signal[:, centre])


def test_z_normalize_matches_scipy_zscore() -> None:
    signal = np.random.default_rng(0).normal(3, 5, size=(4, 300))
    np.testing.assert_allclose(z_normalize(signal), scipy.stats.zscore(signal, axis=1))


@pytest.mark.parametrize(
    ("rate", "target", "up", "down"), [(360, 100, 5, 18), (500, 100, 1, 5), (257, 100, 100, 257)]
)
def test_resampling_ratio_and_length(rate: float, target: float, up: int, down: int) -> None:
    assert rate_ratio(rate, target) == Fraction(up, down)
    signal = np.random.default_rng(0).normal(size=(2, 1234))
    resampled = resample_to_rate(signal, rate, target)
    np.testing.assert_allclose(resampled, scipy.signal.resample_poly(signal, up, down, axis=1))
    assert resampled.shape == (2, -(-1234 * up // down))


def test_resampled_index_tracks_the_same_instant() -> None:
    """A narrow pulse sampled at 360 Hz and resampled to 100 Hz peaks at the mapped index of its peak."""
    seconds = np.arange(3600) / 360
    signal = np.exp(-(((seconds - 4.321) / 0.05) ** 2))[None]
    peak = int(signal.argmax())
    resampled = resample_to_rate(signal, 360, 100)
    assert abs(int(resampled.argmax()) - int(resampled_index(peak, 360, 100))) <= 1


def test_check_signal_finds_nans_and_flat_leads() -> None:
    good = np.random.default_rng(0).normal(size=(2, 50))
    check_signal(good, "good")
    gappy = good.copy()
    gappy[1, [7, 9]] = np.nan
    with pytest.raises(
        RecordError, match=r"gappy: lead 1 \(V5\) has 2 NaN values \(first at sample 7\)"
    ) as error:
        check_signal(gappy, "gappy", lead_names=["MLII", "V5"])
    assert error.value.reason == "nan"
    flat = good.copy()
    flat[0] = 1e3
    with pytest.raises(RecordError, match="lead 0 is flat") as error:
        check_signal(flat, "flat")
    assert error.value.reason == "flat_lead"


def test_dx_codes_parse_the_dx_comment() -> None:
    assert dx_codes(["Age: 5", "Dx: 426783006, 59118001 ,", "Rx: Unknown"]) == ["426783006", "59118001"]
    assert dx_codes(["# Dx: 164889003"]) == ["164889003"]
    assert dx_codes(["69 M 1085 1629 x1", "Aldomet, Inderal"]) is None


def test_find_wfdb_records_expands_folders(tmp_path: Path) -> None:
    for name in ("b.hea", "a.hea", "a.dat", "notes.txt"):
        (tmp_path / name).write_text("")
    assert find_wfdb_records(tmp_path) == [tmp_path / "a", tmp_path / "b"]
    assert find_wfdb_records([tmp_path / "a.hea", "x/y"]) == [tmp_path / "a", Path("x/y")]
