"""UCR ``.tsv`` and sktime ``.ts`` reading: the real ECG datasets against ``np.loadtxt``, a hand-written
``.ts`` file against its known values, and the bad-input cases."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mmcl.adapters.timeseries import ReadReport, RecordError, ucr_dataset


@pytest.fixture(scope="module")
def ucr(data_dir: Path) -> Path:
    return data_dir / "ucr_ecg"


@pytest.mark.parametrize(
    ("dataset", "split", "rows", "length", "classes"),
    [
        ("ECG200", "TRAIN", 100, 96, ["-1", "1"]),
        ("ECG200", "TEST", 100, 96, ["-1", "1"]),
        ("TwoLeadECG", "TRAIN", 23, 82, ["1", "2"]),
        ("ECG5000", "TRAIN", 500, 140, ["1", "2", "3", "4", "5"]),
    ],
)
def test_ucr_tsv_matches_loadtxt(
    ucr: Path, dataset: str, split: str, rows: int, length: int, classes: list
) -> None:
    path = ucr / dataset / f"{dataset}_{split}.tsv"
    read = ucr_dataset(path)
    reference = np.loadtxt(path, delimiter="\t")
    assert len(read) == rows and read.features["label"].names == classes
    signals = np.stack(read.with_format("numpy")["signal"])
    assert signals.shape == (rows, 1, length) and signals.dtype == np.float32
    np.testing.assert_allclose(signals[:, 0], reference[:, 1:], atol=1e-6)
    names = read.features["label"].names
    assert [names[label] for label in read["label"]] == [str(int(value)) for value in reference[:, 0]]
    assert read["record"][:2] == [f"{path.name}:0", f"{path.name}:1"]


def test_ecg200_class_balance_and_shared_test_classes(ucr: Path) -> None:
    train = ucr_dataset(ucr / "ECG200" / "ECG200_TRAIN.tsv")
    test = ucr_dataset(ucr / "ECG200" / "ECG200_TEST.tsv", class_names=train.features["label"].names)
    assert np.bincount(train["label"]).tolist() == [31, 69]
    assert test.features["label"].names == train.features["label"].names
    both = ucr_dataset(
        [ucr / "ECG200" / "ECG200_TRAIN.tsv", ucr / "ECG200" / "ECG200_TEST.tsv"], streaming=True
    )
    assert both.n_shards == 2 and sum(1 for _ in both) == 200


TS_FILE = """# a hand-made multivariate file
@problemName Demo
@timeStamps false
@missing true
@univariate false
@dimensions 2
@equalLength false
@classLabel true walk run
@data
1.0,2.0,3.0:4.0,5.0,6.0:run
0.5,0.25:1.5,1.25:walk
7.0,?,9.0:1.0,2.0,3.0:walk
"""


def test_sktime_ts_multivariate_unequal_length_with_missing_values(tmp_path: Path) -> None:
    path = tmp_path / "Demo_TRAIN.ts"
    path.write_text(TS_FILE)
    report = ReadReport()
    read = ucr_dataset(path, on_error="skip", report=report)
    assert read.features["label"].names == ["walk", "run"]  # the header's order
    assert read["label"] == [1, 0]
    assert read["signal"] == [[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], [[0.5, 0.25], [1.5, 1.25]]]
    assert report.skipped == {"nan": 1}
    with pytest.raises(RecordError, match=r"Demo_TRAIN\.ts:2: lead 0 has 1 NaN values"):
        ucr_dataset(path)


def test_sktime_ts_univariate_without_labels(tmp_path: Path) -> None:
    path = tmp_path / "plain.ts"
    path.write_text("@problemName Plain\n@univariate true\n@classLabel false\n@data\n1,2,3,4\n5,6,7\n")
    read = ucr_dataset(path, normalize=True)
    assert read["label"] == [-1, -1]
    np.testing.assert_allclose(
        read.with_format("numpy")[1]["signal"], [[-1.2247449, 0.0, 1.2247449]], atol=1e-6
    )


def test_variable_length_tsv_padding_is_trimmed_but_gaps_are_errors(tmp_path: Path) -> None:
    path = tmp_path / "Var_TRAIN.tsv"
    path.write_text("1\t0.1\t0.2\t0.3\tNaN\tNaN\n2\t0.4\t0.5\t0.6\t0.7\t0.8\n1\t0.1\tNaN\t0.3\t0.4\tNaN\n")
    report = ReadReport()
    read = ucr_dataset(path, on_error="skip", report=report)
    assert [len(signal[0]) for signal in read["signal"]] == [3, 5]
    assert report.skipped == {"nan": 1}


@pytest.mark.parametrize(
    ("content", "suffix", "message", "reason"),
    [
        ("1\t0.1\tabc\n", ".tsv", r"x\.tsv:0: is not a tab-separated row of numbers", "malformed"),
        (
            "@dimensions 2\n@univariate false\n@classLabel true a\n@data\n1,2:a\n",
            ".ts",
            "has 1 dimensions but",
            "malformed",
        ),
        (
            "@univariate false\n@dimensions 2\n@classLabel true a\n@data\n1,2:3:a\n",
            ".ts",
            "different lengths",
            "malformed",
        ),
        (
            "@classLabel true a b\n@data\n1,2,3:c\n",
            ".ts",
            r"has label 'c', not one of class_names \['a', 'b'\]",
            "unknown_label",
        ),
    ],
)
def test_malformed_rows_fail_or_are_skipped(
    tmp_path: Path, content: str, suffix: str, message: str, reason: str
) -> None:
    path = tmp_path / f"x{suffix}"
    path.write_text(content)
    with pytest.raises(RecordError, match=message) as error:
        ucr_dataset(path)
    assert error.value.reason == reason
    good = tmp_path / "good.tsv"
    good.write_text("1\t0.1\t0.2\n")
    report = ReadReport()
    class_names = ["1", "a", "b"]
    assert len(ucr_dataset([path, good], class_names=class_names, on_error="skip", report=report)) == 1
    assert report.skipped == {reason: 1}


def test_unsupported_files_fail_early(tmp_path: Path) -> None:
    timestamps = tmp_path / "stamped.ts"
    timestamps.write_text("@timeStamps true\n@data\n(0,1),(1,2):a\n")
    with pytest.raises(ValueError, match=r"timestamped \.ts files are not supported"):
        ucr_dataset(timestamps)
    with pytest.raises(ValueError, match=r"expected a UCR \.tsv or sktime \.ts file"):
        ucr_dataset(tmp_path / "data.csv")
    with pytest.raises(RecordError, match=r"missing\.tsv: does not exist"):
        ucr_dataset(tmp_path / "missing.tsv")
