"""Price-table windows on real OHLCV files against a pandas / scipy reference, plus Parquet, labels and the
bad-input cases (missing columns, missing label column, gaps, stale prices, short series)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.stats

from mmcl.adapters.timeseries import ReadReport, RecordError, log_returns, price_windows_dataset

OHLCV = ["Open", "High", "Low", "Close", "Volume"]


def reference_returns(table: pd.DataFrame) -> pd.DataFrame:
    """Log returns the textbook way: diff of log prices, diff of log(1 + volume)."""
    returns = pd.DataFrame(index=table.index)
    for column in OHLCV:
        logged = np.log1p(table[column]) if column == "Volume" else np.log(table[column])
        returns[column] = logged.diff()
    return returns.iloc[1:]


def test_log_returns_of_prices_and_volume() -> None:
    table = np.array([[100.0, 0.0], [110.0, 9.0], [99.0, 99.0], [-1.0, 1.0]])
    expected = [[np.log(1.1), np.log(10)], [np.log(0.9), np.log(10)], [np.nan, np.log(2 / 100)]]
    np.testing.assert_allclose(log_returns(table, volume=[False, True]), expected)


def test_sp500_windows_match_pandas_reference(data_dir: Path) -> None:
    path = data_dir / "financial" / "arch" / "sp500.csv.gz"
    table = pd.read_csv(path)
    table["Date"] = pd.to_datetime(table["Date"], format="%m/%d/%Y")
    returns = reference_returns(table)
    windows = price_windows_dataset(path, window=64, stride=32, date_column="Date").with_format("numpy")
    assert len(windows) == (len(returns) - 64) // 32 + 1
    for index in (0, 1, len(windows) - 1):
        example = windows[index]
        start = example["start"]  # row of the first return
        assert start == 1 + 32 * index
        expected = scipy.stats.zscore(returns.loc[start : start + 63].to_numpy().T, axis=1)
        np.testing.assert_allclose(example["signal"], expected, atol=1e-4)
        assert example["date"] == table["Date"][start + 63].isoformat()
        assert example["record"] == "sp500.csv.gz" and example["label"] is None


def test_long_table_split_by_ticker_and_sorted_by_date(data_dir: Path) -> None:
    path = data_dir / "financial" / "bokeh_sampledata" / "stocks.csv.gz"
    report = ReadReport()
    windows = price_windows_dataset(
        path, window=200, date_column="Date", group_column="ticker", on_error="skip", report=report
    )
    table = pd.read_csv(path)
    counts = table.groupby("Ticker").size()
    expected = {
        f"stocks.csv.gz:{ticker}": (rows - 1 - 200) // 200 + 1
        for ticker, rows in counts.items()
        if rows > 201
    }
    assert pd.Series(windows["record"]).value_counts().to_dict() == expected
    assert report.skipped == {"too_short": 1}  # FB: 196 rows, 195 returns
    ibm = table[table["Ticker"] == "IBM"].assign(Date=lambda frame: pd.to_datetime(frame["Date"]))
    ibm = ibm.sort_values("Date").reset_index(drop=True)
    first = next(
        example for example in windows.with_format("numpy") if example["record"] == "stocks.csv.gz:IBM"
    )
    expected_first = scipy.stats.zscore(reference_returns(ibm).iloc[:200].to_numpy().T, axis=1)
    np.testing.assert_allclose(first["signal"], expected_first, atol=1e-4)


def write_prices(path: Path, rows: int = 300, seed: int = 0, **columns) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, rows)))
    table = pd.DataFrame(
        {
            "date": pd.date_range("2020-01-01", periods=rows, freq="D").astype(str),
            "open": close * 0.99,
            "high": close * 1.01,
            "low": close * 0.98,
            "close": close,
            "volume": rng.integers(1_000, 10_000, rows),
            **columns,
        }
    )
    if path.suffix == ".parquet":
        table.to_parquet(path)
    else:
        table.to_csv(path, index=False)
    return table


def test_parquet_with_label_column_and_case_insensitive_names(tmp_path: Path) -> None:
    path = tmp_path / "prices.parquet"
    regime = np.repeat(["calm", "storm", "calm"], 100)
    write_prices(path, regime=regime)
    windows = price_windows_dataset(path, window=50, stride=25, date_column="DATE", label_column="Regime")
    assert windows.features["label"].dtype == "string"
    assert len(windows) == (299 - 50) // 25 + 1
    assert windows["label"] == [regime[start + 49] for start in windows["start"]]
    assert len(windows[0]["signal"]) == 5


def test_numeric_label_column_keeps_its_type(tmp_path: Path) -> None:
    path = tmp_path / "prices.csv"
    write_prices(path, target=np.arange(300) * 0.5)
    windows = price_windows_dataset(path, columns=["close"], window=100, label_column="target")
    assert windows.features["label"].dtype == "float64"
    assert windows["label"] == [0.5 * 100, 0.5 * 200]


def test_missing_columns_name_the_file_and_the_fix(tmp_path: Path) -> None:
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    write_prices(good, regime="calm")
    write_prices(bad).drop(columns=["volume"]).to_csv(bad, index=False)
    with pytest.raises(
        RecordError, match=r"bad\.csv: has no column \['Volume'\] \(it has \['date', 'open'"
    ) as error:
        price_windows_dataset([good, bad], window=50)
    assert error.value.reason == "missing_column"
    with pytest.raises(RecordError, match=r"bad\.csv: has no label column \['regime'\]") as error:
        price_windows_dataset([good, bad], columns=["close"], window=50, label_column="regime")
    assert error.value.reason == "missing_label"
    report = ReadReport()
    windows = price_windows_dataset([good, bad], window=50, on_error="skip", report=report)
    assert set(windows["record"]) == {"good.csv"} and report.skipped == {"missing_column": 1}


def test_gaps_stale_prices_and_short_series(tmp_path: Path) -> None:
    path = tmp_path / "gappy.csv"
    table = write_prices(path, rows=301)
    table["close"] = table["close"].astype(object)
    table.loc[120, "close"] = "."  # a holiday written as "." (FRED style)
    table.loc[200:260, ["open", "high", "low", "close"]] = 50.0  # stale quotes: zero returns
    table.to_csv(path, index=False)
    with pytest.raises(RecordError, match=r"gappy\.csv\[100:150\]: lead 3 \(close\) has 2 NaN values"):
        price_windows_dataset(path, window=50)
    report = ReadReport()
    windows = price_windows_dataset(path, window=50, on_error="skip", report=report)
    assert windows["start"] == [1, 51, 151, 251]  # 101: the gap; 201: OHLC all stale
    assert report.skipped == {"nan": 1, "flat_lead": 1}
    dropped = price_windows_dataset(
        path, columns=["volume", "close"], window=50, drop_missing=True, on_error="skip"
    )
    assert len(dropped) == 4  # 299 returns after dropping the gap: windows at 1, 51, 101, 151 survive
    with pytest.raises(RecordError, match="300 samples is shorter than the window of 400"):
        price_windows_dataset(path, window=400)
