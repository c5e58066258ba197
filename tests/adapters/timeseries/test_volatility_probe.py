"""The volatility-regime probe: labels from future returns only, split by time, against a naive loop."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from mmcl.adapters.timeseries import TimeSeriesEncoder, TS2VecConfig, TS2VecModel
from mmcl.adapters.timeseries.volatility_probe import volatility_probe, volatility_windows


@pytest.fixture
def price_file(tmp_path: Path) -> Path:
    rng = np.random.default_rng(0)
    volatility = np.repeat(rng.choice([0.005, 0.03], size=40), 10)  # volatility regimes of 10 days
    prices = 100 * np.exp(np.cumsum(rng.normal(size=400) * volatility))
    dates = pd.bdate_range("2001-01-01", periods=400)[::-1]  # written newest first: the probe must sort
    path = tmp_path / "prices.csv"
    pd.DataFrame({"Date": dates.strftime("%m/%d/%Y"), "Close": prices[::-1]}).to_csv(path, index=False)
    return path


def test_windows_and_labels_match_a_naive_loop(price_file: Path) -> None:
    windows = volatility_windows(price_file, window=8, horizon=3, train_fraction=0.5)
    table = pd.read_csv(price_file).iloc[::-1]
    closes = table["Close"].tolist()
    returns = [100 * math.log(closes[i + 1] / closes[i]) for i in range(len(closes) - 1)]
    split = int(0.5 * len(returns))
    train, test = [], []
    for end in range(7, len(returns) - 3):
        window = returns[end - 7 : end + 1]
        target = math.sqrt(sum(r * r for r in returns[end + 1 : end + 4]))
        if end + 3 < split:
            train.append((window, target))
        elif end >= split:
            test.append((window, target))
    median = float(np.median([t for _, t in train]))
    np.testing.assert_allclose(windows.train_windows[:, 0], [w for w, _ in train], rtol=1e-5)
    np.testing.assert_allclose(windows.test_windows[:, 0], [w for w, _ in test], rtol=1e-5)
    assert windows.train_labels.tolist() == [int(t > median) for _, t in train]
    assert windows.test_labels.tolist() == [int(t > median) for _, t in test]


def test_probe_reports_encoder_beside_raw_windows(price_file: Path) -> None:
    torch.manual_seed(0)
    encoder = TimeSeriesEncoder(TS2VecModel(TS2VecConfig(hidden_size=8, conv_channels=4, depth=1))).eval()
    report = volatility_probe(encoder, volatility_windows(price_file, window=16), torch.device("cpu"))
    row = report.metrics["volatility_regime/accuracy"]
    assert 0.5 < row.baselines["raw window"] <= 1.0  # the regimes persist: the raw returns predict them
    assert 0.0 <= row.model <= 1.0


def test_missing_price_column_names_the_file_and_the_columns(price_file: Path) -> None:
    with pytest.raises(ValueError, match=r"prices.csv: no column 'Adj Close' \(columns: Date, Close\)"):
        volatility_windows(price_file, column="Adj Close")
