"""WFDB readers on real records (MIT-BIH 100, CinC 2021 sample) against wfdb / scipy read directly, and
every bad-input case on small records built in tmp_path."""

from __future__ import annotations

import math
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
import scipy.signal
import scipy.stats
import wfdb
from datasets.distributed import split_dataset_by_node

from mmcl.adapters.timeseries import BEAT_SYMBOLS, ReadReport, RecordError, beat_dataset, wfdb_dataset


@pytest.fixture(scope="module")
def mitbih(data_dir: Path) -> Path:
    return data_dir / "mitbih_100" / "100"


@pytest.fixture(scope="module")
def mitbih_signal(mitbih: Path) -> np.ndarray:
    return wfdb.rdrecord(str(mitbih)).p_signal.T


@pytest.fixture(scope="module")
def mitbih_at_100hz(mitbih_signal: np.ndarray) -> np.ndarray:
    return scipy.signal.resample_poly(mitbih_signal, 5, 18, axis=1)  # 100 / 360 = 5 / 18


def numpy_rows(dataset) -> list[dict]:
    return list(dataset.with_format("numpy"))


def test_mitbih_record_has_two_leads_at_360_hz(mitbih: Path, mitbih_signal: np.ndarray) -> None:
    (example,) = numpy_rows(wfdb_dataset(mitbih, normalize=False))
    assert example["signal"].shape == (2, 650_000) and example["signal"].dtype == np.float32
    assert example["sampling_rate"] == 360 and example["record"] == "100" and list(example["label"]) == []
    np.testing.assert_allclose(example["signal"], mitbih_signal, atol=1e-6)


def test_mitbih_resampled_to_100_hz(mitbih: Path, mitbih_at_100hz: np.ndarray) -> None:
    (example,) = numpy_rows(wfdb_dataset(mitbih, target_rate=100, normalize=False))
    assert example["signal"].shape == (2, math.ceil(650_000 * 100 / 360)) == mitbih_at_100hz.shape
    assert example["sampling_rate"] == 100
    np.testing.assert_allclose(example["signal"], mitbih_at_100hz, atol=1e-5)


def test_mitbih_windows_with_stride_are_z_normalised_slices(
    mitbih: Path, mitbih_at_100hz: np.ndarray
) -> None:
    windows = numpy_rows(wfdb_dataset(mitbih, target_rate=100, window_seconds=10, stride_seconds=5))
    length = mitbih_at_100hz.shape[1]
    assert len(windows) == (length - 1000) // 500 + 1
    for example in windows[:3] + windows[-2:]:
        start = example["start"]
        assert start % 500 == 0
        reference = scipy.stats.zscore(mitbih_at_100hz[:, start : start + 1000], axis=1)
        np.testing.assert_allclose(example["signal"], reference, atol=1e-4)


def test_beats_are_centred_on_the_annotation_sample(mitbih: Path, mitbih_signal: np.ndarray) -> None:
    annotation = wfdb.rdann(str(mitbih), "atr")
    beats = [
        (s, sym) for s, sym in zip(annotation.sample, annotation.symbol, strict=True) if sym in BEAT_SYMBOLS
    ]
    report = ReadReport()
    dataset = beat_dataset(mitbih, before_seconds=0.25, after_seconds=0.5, normalize=False, report=report)
    before, after = 90, 180  # at 360 Hz
    full = [(s, sym) for s, sym in beats if s - before >= 0 and s + after <= mitbih_signal.shape[1]]
    assert len(dataset) == len(full) == report.examples
    assert report.skipped["beat_at_record_edge"] == len(beats) - len(full)
    assert dataset["label"] == [sym for _, sym in full]
    assert {"N", "A", "V"} <= set(dataset["label"]) and "+" not in dataset["label"]
    for index in (0, 100, len(full) - 1):
        example = dataset.with_format("numpy")[index]
        sample = full[index][0]
        assert example["sample"] == sample
        assert example["signal"].shape == (2, before + after)
        np.testing.assert_allclose(example["signal"][:, before], mitbih_signal[:, sample], atol=1e-6)
        np.testing.assert_allclose(
            example["signal"], mitbih_signal[:, sample - before : sample + after], atol=1e-6
        )


def test_beats_at_100_hz_follow_the_resampled_signal(mitbih: Path, mitbih_at_100hz: np.ndarray) -> None:
    annotation = wfdb.rdann(str(mitbih), "atr")
    dataset = beat_dataset(mitbih, target_rate=100, before_seconds=0.3, after_seconds=0.4, normalize=False)
    example = dataset.with_format("numpy")[10]
    beats = [s for s, sym in zip(annotation.sample, annotation.symbol, strict=True) if sym in BEAT_SYMBOLS]
    centres = [round(s * 100 / 360) for s in beats if round(s * 100 / 360) >= 30]
    assert example["sample"] == centres[10]
    np.testing.assert_allclose(
        example["signal"], mitbih_at_100hz[:, centres[10] - 30 : centres[10] + 40], atol=1e-5
    )


def test_cinc_dx_codes_and_flat_leads(data_dir: Path) -> None:
    folder = data_dir / "cinc2021_sample"
    report = ReadReport()
    dataset = wfdb_dataset(folder, target_rate=100, on_error="skip", report=report)
    assert report.skipped == {"flat_lead": 2} and report.examples == len(dataset) == 48
    skipped = {Path(re.match(r"(\S+):", message).group(1)).name for message in report.messages}
    assert skipped == {"JS20004", "JS20008"}
    for example in dataset.select(range(0, 48, 7)):
        header = (folder / f"{example['record']}.hea").read_text()
        (dx_line,) = re.findall(r"^# Dx: (.*)$", header, flags=re.MULTILINE)
        assert example["label"] == dx_line.strip().split(",")
        assert len(example["signal"]) == 12 and len(example["signal"][0]) == 1000
    with pytest.raises(RecordError, match=r"JS20004.*lead 7 \(V2\) is flat"):
        wfdb_dataset(folder, target_rate=100)


def test_lead_selection_in_the_requested_order(data_dir: Path) -> None:
    record = data_dir / "cinc2021_sample" / "HR06000"
    (example,) = numpy_rows(wfdb_dataset(record, leads=["V1", "II"], normalize=False))
    raw = wfdb.rdrecord(str(record)).p_signal
    np.testing.assert_allclose(example["signal"], raw[:, [6, 1]].T, atol=1e-6)


def test_streaming_shards_by_record_across_nodes(data_dir: Path) -> None:
    records = [data_dir / "cinc2021_sample" / name for name in ("E07500", "E07501", "HR06000", "HR06001")]
    streamed = wfdb_dataset(records, target_rate=100, streaming=True)
    assert streamed.n_shards == 4
    seen = [[example["record"] for example in split_dataset_by_node(streamed, rank, 2)] for rank in (0, 1)]
    assert not set(seen[0]) & set(seen[1])
    assert sorted(seen[0] + seen[1]) == ["E07500", "E07501", "HR06000", "HR06001"]


# --- bad input, on records built in tmp_path ------------------------------------------------------------


def write_record(
    folder: Path, name: str, signal: np.ndarray, rate: float = 100, dx: str | None = "426783006"
) -> Path:
    wfdb.wrsamp(
        name,
        fs=rate,
        units=["mV"] * signal.shape[0],
        sig_name=[f"L{i}" for i in range(signal.shape[0])],
        p_signal=signal.T,
        fmt=["16"] * signal.shape[0],
        comments=[] if dx is None else [f"Dx: {dx}"],
        write_dir=str(folder),
    )
    return folder / name


def noise(leads: int = 2, length: int = 1000, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(leads, length))


def test_missing_signal_file_names_record_and_fix(tmp_path: Path, mitbih: Path) -> None:
    for suffix in (".hea", ".dat", ".atr"):
        shutil.copy(mitbih.with_suffix(suffix), tmp_path)
    good = write_record(tmp_path, "good", noise())
    (tmp_path / "100.dat").unlink()
    with pytest.raises(
        RecordError, match=r"100: signal file .*100\.dat listed in 100\.hea is missing; restore it"
    ) as error:
        wfdb_dataset([tmp_path / "100", good])
    assert error.value.reason == "missing_file"
    report = ReadReport()
    dataset = wfdb_dataset(tmp_path, on_error="skip", report=report)
    assert dataset["record"] == ["good"] and report.skipped == {"missing_file": 1}
    with pytest.raises(RecordError, match=r"100\.dat"):
        beat_dataset(tmp_path / "100")


def test_missing_header_and_annotation(tmp_path: Path) -> None:
    record = write_record(tmp_path, "rec", noise())
    with pytest.raises(RecordError, match=r"nothere\.hea does not exist"):
        wfdb_dataset(tmp_path / "nothere")
    with pytest.raises(RecordError, match=r"annotation file .*rec\.atr is missing"):
        beat_dataset(record)


def test_nan_windows_fail_or_are_skipped(tmp_path: Path) -> None:
    signal = noise()
    signal[1, 500:510] = np.nan
    record = write_record(tmp_path, "gappy", signal)
    with pytest.raises(RecordError, match=r"gappy\[400:600\]: lead 1 \(L1\) has 10 NaN values"):
        wfdb_dataset(record, window_seconds=2)
    report = ReadReport()
    dataset = wfdb_dataset(record, window_seconds=2, on_error="skip", report=report)
    assert dataset["start"] == [0, 200, 600, 800] and report.skipped == {"nan": 1}
    with pytest.raises(RecordError, match="NaN samples, which resampling to 50 Hz would spread"):
        wfdb_dataset(record, target_rate=50)


def test_flat_lead_fails_or_is_skipped(tmp_path: Path) -> None:
    signal = noise()
    signal[0] = 0.25
    write_record(tmp_path, "flat", signal)
    write_record(tmp_path, "fine", noise(seed=1))
    with pytest.raises(RecordError, match=r"flat: lead 0 \(L0\) is flat"):
        wfdb_dataset(tmp_path)
    report = ReadReport()
    assert wfdb_dataset(tmp_path, on_error="skip", report=report)["record"] == ["fine"]
    assert report.skipped == {"flat_lead": 1}


def test_record_shorter_than_the_window(tmp_path: Path) -> None:
    record = write_record(tmp_path, "short", noise(length=500))
    with pytest.raises(RecordError, match="500 samples is shorter than the window of 1000") as error:
        wfdb_dataset(record, window_seconds=10)
    assert error.value.reason == "too_short"
    write_record(tmp_path, "long", noise(length=2000))
    report = ReadReport()
    assert len(wfdb_dataset(tmp_path, window_seconds=10, on_error="skip", report=report)) == 2
    assert report.skipped == {"too_short": 1}


def test_mixed_sampling_rates_need_a_target_rate(tmp_path: Path) -> None:
    write_record(tmp_path, "a_at_100", noise())
    write_record(tmp_path, "b_at_250", noise(length=2500), rate=250)
    with pytest.raises(
        RecordError, match=r"b_at_250: is sampled at 250 Hz but .*a_at_100 at 100 Hz; pass target_rate"
    ):
        wfdb_dataset(tmp_path)
    report = ReadReport()
    assert wfdb_dataset(tmp_path, on_error="skip", report=report)["record"] == ["a_at_100"]
    assert report.skipped == {"mixed_sampling_rates": 1}
    resampled = wfdb_dataset(tmp_path, target_rate=100)
    assert [len(signal[0]) for signal in resampled["signal"]] == [1000, 1000]


def test_missing_labels_and_leads(tmp_path: Path) -> None:
    write_record(tmp_path, "labelled", noise())
    write_record(tmp_path, "unlabelled", noise(), dx=None)
    with pytest.raises(RecordError, match=r"unlabelled.hea has no '# Dx:' line"):
        wfdb_dataset(tmp_path, require_labels=True)
    assert wfdb_dataset(tmp_path)["label"] == [["426783006"], []]
    with pytest.raises(RecordError, match=r"has no lead \['V1'\] \(it has \['L0', 'L1'\]\)") as error:
        wfdb_dataset(tmp_path, leads=["V1"])
    assert error.value.reason == "missing_lead"


def test_everything_skipped_is_an_error(tmp_path: Path) -> None:
    signal = noise()
    signal[0] = 1.0
    write_record(tmp_path, "flat", signal)
    with pytest.raises(ValueError, match=r"everything was skipped.*flat_lead: 1"):
        wfdb_dataset(tmp_path, on_error="skip")
    with pytest.raises(ValueError, match="on_error must be"):
        wfdb_dataset(tmp_path, on_error="ignore")
