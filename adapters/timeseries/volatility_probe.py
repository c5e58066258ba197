"""A probe task made from price data: is next period's realized volatility above the training median?

From one price column (``Close`` by default) the daily log returns, in percent, are cut into windows of
``window`` returns ending at day ``t``; the target of a window is the realized volatility of the next
``horizon`` returns (``sqrt(sum r_{t+1..t+horizon}^2)``), labelled 1 when above the median of the training
windows' targets. The split is by time with no look-ahead: a window is in the training split only when its
target period ends before ``split_row`` (the first ``train_fraction`` of the returns); the test windows end
at or after it. Frozen representations of the windows — the encoder's, and the raw windows as the baseline
— are standardised on the training split and scored by a logistic-regression probe (``C`` by CV on train).

Example:
    >>> windows = volatility_windows("sp500.csv.gz", window=64, horizon=5)  # doctest: +SKIP
    >>> windows.train_windows.shape  # doctest: +SKIP
    (3458, 1, 64)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sklearn.preprocessing import StandardScaler
from torch import nn

from mmcl.adapters.timeseries.ucr_protocol import encode_series, raw_features
from mmcl.evaluation import EvaluationReport, fit_svm_probe

PERCENT = 100.0
"""Returns are given to encoders in percent (daily S&P 500 returns then have a standard deviation near 1)."""


@dataclass(frozen=True)
class VolatilityWindows:
    """Return windows and their next-period volatility regime, split by time.

    Attributes:
        train_windows / test_windows: ``(N, 1, window)`` log returns in percent.
        train_labels / test_labels: 1 when the next ``horizon`` returns' realized volatility is above the
            training median.
        split_date: the first date of the test period.
    """

    train_windows: np.ndarray
    train_labels: np.ndarray
    test_windows: np.ndarray
    test_labels: np.ndarray
    split_date: str


def volatility_windows(
    price_file: str | Path,
    *,
    column: str = "Close",
    date_column: str = "Date",
    window: int = 64,
    horizon: int = 5,
    stride: int = 1,
    train_fraction: float = 0.7,
) -> VolatilityWindows:
    """Read ``price_file`` (CSV / CSV.GZ) and build the probe's windows and labels.

    Raises:
        ValueError: a column is missing, a price is not positive, or the series is too short to split.
    """
    table = pd.read_csv(price_file)
    for name in (column, date_column):
        if name not in table.columns:
            raise ValueError(
                f"{price_file}: no column {name!r} (columns: {', '.join(map(str, table.columns))}); set "
                "adapter.volatility_column / the date column to one of them"
            )
    table = table.assign(_date=pd.to_datetime(table[date_column])).sort_values("_date")
    prices = table[column].to_numpy(dtype=np.float64)
    if not np.all(np.isfinite(prices)) or (prices <= 0).any():
        raise ValueError(
            f"{price_file}: column {column!r} has missing or non-positive prices; clean the file"
        )
    returns = np.diff(np.log(prices)) * PERCENT
    dates = table["_date"].dt.strftime("%Y-%m-%d").to_numpy()[1:]
    ends = np.arange(window - 1, len(returns) - horizon, stride)  # window ends at t, target r[t+1 .. t+h]
    split_row = int(train_fraction * len(returns))
    is_train, is_test = ends + horizon < split_row, ends >= split_row
    if is_train.sum() < 10 or is_test.sum() < 10:
        raise ValueError(
            f"{price_file}: {len(returns)} returns are too few for windows of {window} and a {horizon}-day target "
            "on both sides of the split; use a longer series or a shorter window"
        )
    windows = returns[ends[:, None] - np.arange(window - 1, -1, -1)][:, None, :].astype(np.float32)
    targets = np.sqrt((returns[ends[:, None] + np.arange(1, horizon + 1)] ** 2).sum(axis=1))
    threshold = np.median(targets[is_train])
    labels = (targets > threshold).astype(np.int64)
    return VolatilityWindows(
        windows[is_train], labels[is_train], windows[is_test], labels[is_test], str(dates[split_row])
    )


def volatility_probe(
    encoder: nn.Module, windows: VolatilityWindows, device: torch.device
) -> EvaluationReport:
    """Logistic-regression accuracy of the next-period volatility regime: the encoder vs the raw windows.

    Example:
        >>> report = volatility_probe(encoder, volatility_windows("sp500.csv.gz"), torch.device("cpu"))  # doctest: +SKIP
    """
    report = EvaluationReport(model_name="pretrained", baselines=("raw window",))
    accuracies = []
    for features in (encode_series, lambda _, series, __: raw_features(series)):
        train = features(encoder, windows.train_windows, device)
        test = features(encoder, windows.test_windows, device)
        scaler = StandardScaler().fit(train)
        result = fit_svm_probe(
            scaler.transform(train), windows.train_labels, scaler.transform(test), windows.test_labels,
            classifier="logistic",
        )  # fmt: skip
        accuracies.append(result.accuracy)
    report.add("volatility_regime/accuracy", model=accuracies[0], baseline=accuracies[1])
    return report
