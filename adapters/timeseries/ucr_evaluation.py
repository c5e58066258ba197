"""The timeseries adapter's evaluation: the UCR protocol and label efficiency, beside two baselines.

For each UCR data set, three representations go through the same probes (``mmcl.evaluation``):
the trained encoder's, the same architecture's at random initialisation, and the raw series (each
optionally standardised per feature on the training split first, ``standardize``). The report's
model column is the trained encoder; its two baseline columns are the random-init encoder and the raw series.
Rows per data set:

- ``<set>/svm_accuracy``: the UCR protocol (RBF SVM, ``C`` by CV on train) on the test split;
- ``<set>/svm_accuracy@<p>%labels``: mean test accuracy over seeds with ``p`` % (< 100) of the training labels.

With ``plots_dir``, one label-efficiency plot per data set and an embedding map of the last data set's test
split are written there.

Example:
    >>> report = ucr_evaluation(encoder, random_init, [("A_TRAIN.tsv", "A_TEST.tsv")], device)  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from sklearn.preprocessing import StandardScaler
from torch import nn

from mmcl.adapters.timeseries.ucr_protocol import encode_series, load_ucr_splits, raw_features
from mmcl.evaluation import EvaluationReport, LabelEfficiencyCurve, fit_svm_probe, label_efficiency_curve
from mmcl.plots import plot_embedding_map, plot_label_efficiency

MODEL_NAME = "pretrained"
RANDOM_INIT = "random init"
RAW_SERIES = "raw series"


def ucr_evaluation(
    encoder: nn.Module,
    random_init: nn.Module,
    evaluation_sets: Sequence[tuple[str | Path, str | Path]],
    device: torch.device,
    *,
    fractions: Sequence[float] = (0.1, 1.0),
    seeds: Sequence[int] = (0, 1, 2),
    standardize: bool = False,
    plots_dir: Path | None = None,
) -> EvaluationReport:
    """Score ``encoder`` against ``random_init`` and the raw series on each (TRAIN, TEST) pair.

    Args:
        encoder: the trained ``(N, D)`` encoder.
        random_init: the same architecture at random initialisation.
        evaluation_sets: (TRAIN, TEST) UCR files.
        device: where the encoders run.
        fractions: label-efficiency fractions of the training labels.
        seeds: label-efficiency subsampling seeds.
        standardize: scale every feature to zero mean and unit variance on the training split (all of it,
            without labels) before the probes, for the three representations alike.
        plots_dir: where to write the plots, or None.

    Returns:
        The report (see the module docstring for its rows).
    """
    report = EvaluationReport(model_name=MODEL_NAME, baselines=(RANDOM_INIT, RAW_SERIES))
    for train_file, test_file in evaluation_sets:
        splits = load_ucr_splits(train_file, test_file)
        features = {
            name: (train, test)
            for name, (train, test) in {
                "model": (encode_series(encoder, splits.train_series, device),
                          encode_series(encoder, splits.test_series, device)),
                "random": (encode_series(random_init, splits.train_series, device),
                           encode_series(random_init, splits.test_series, device)),
                "raw": (raw_features(splits.train_series), raw_features(splits.test_series)),
            }.items()
        }  # fmt: skip
        if standardize:
            features = {name: _standardized(train, test) for name, (train, test) in features.items()}
        accuracy, curves = {}, {}
        for name, (train, test) in features.items():
            accuracy[name] = fit_svm_probe(train, splits.train_labels, test, splits.test_labels).accuracy
            curves[name] = label_efficiency_curve(
                train, splits.train_labels, test, splits.test_labels,
                probe="svm", fractions=fractions, seeds=seeds,
            )  # fmt: skip
        baselines = {RANDOM_INIT: accuracy["random"], RAW_SERIES: accuracy["raw"]}
        report.add(f"{splits.name}/svm_accuracy", model=accuracy["model"], baseline=baselines)
        for index, fraction in enumerate(curves["model"].fractions):
            if fraction == 1.0:  # the same fit as svm_accuracy
                continue
            metric = f"svm_accuracy@{fraction:.0%}labels"
            baselines = {
                RANDOM_INIT: float(curves["random"].mean[index]),
                RAW_SERIES: float(curves["raw"].mean[index]),
            }
            report.add(
                f"{splits.name}/{metric}", model=float(curves["model"].mean[index]), baseline=baselines
            )
        if plots_dir is not None:
            _plot(splits.name, curves, features["model"][1], splits.test_labels, plots_dir)
    return report


def _standardized(train: np.ndarray, test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    scaler = StandardScaler().fit(train)
    return scaler.transform(train), scaler.transform(test)


def _plot(
    name: str,
    curves: dict[str, LabelEfficiencyCurve],
    test_embeddings: np.ndarray,
    test_labels: np.ndarray,
    plots_dir: Path,
) -> None:
    plot_label_efficiency(
        curves["model"], curves["random"], plots_dir / f"label_efficiency_{name}.png",
        model_name=MODEL_NAME, baseline_name=RANDOM_INIT, title=f"{name}: RBF SVM probe, label efficiency",
    )  # fmt: skip
    plot_embedding_map(
        test_embeddings, test_labels, plots_dir / f"embedding_map_{name}.png",
        title=f"{name} test split, pretrained encoder (PCA)",
    )  # fmt: skip
