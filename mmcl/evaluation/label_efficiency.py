"""Label-efficiency curves: probe accuracy when only 1 %, 10 %, ..., 100 % of the training labels are kept.

For each fraction and seed the training split is subsampled per class (stratified; every class keeps at
least one example), the chosen probe — ``"linear"`` (``fit_linear_probe``), ``"svm"`` (``fit_svm_probe``) or
``"knn"`` (``knn_accuracy``) — is fitted on the subset and scored on the full test split. The curve holds
every accuracy, and their mean and standard deviation over seeds per fraction.

Example:
    >>> import torch
    >>> from mmcl.evaluation import label_efficiency_curve
    >>> train, test = torch.randn(1000, 32), torch.randn(200, 32)
    >>> curve = label_efficiency_curve(train, torch.arange(1000) % 5, test, torch.arange(200) % 5, probe="knn",
    ...                          probe_options={"k": 5}, fractions=(0.05, 1.0), seeds=(0, 1))
    >>> curve.mean.shape
    (2,)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import torch

from mmcl.evaluation.inputs import (
    EmbeddingsLike,
    LabelsLike,
    check_same_width,
    check_several_classes,
    checked_embeddings,
    labels_as_numpy,
)
from mmcl.evaluation.knn import DEFAULT_K, knn_accuracy
from mmcl.evaluation.linear_probe import fit_linear_probe
from mmcl.evaluation.svm import fit_svm_probe

Probe = Literal["linear", "svm", "knn"]


@dataclass(frozen=True)
class LabelEfficiencyCurve:
    """Accuracies of one probe at several label fractions, over several seeds.

    Attributes:
        probe: ``"linear"``, ``"svm"`` or ``"knn"``.
        fractions: shares of the training labels kept, ascending.
        seeds: the subsampling seeds.
        train_rows: training rows kept at each fraction.
        accuracies: ``(len(fractions), len(seeds))`` test accuracies.
    """

    probe: str
    fractions: tuple[float, ...]
    seeds: tuple[int, ...]
    train_rows: tuple[int, ...]
    accuracies: np.ndarray

    @property
    def mean(self) -> np.ndarray:
        """Mean accuracy per fraction."""
        return self.accuracies.mean(axis=1)

    @property
    def std(self) -> np.ndarray:
        """Sample standard deviation (``ddof=1``) per fraction; zero with a single seed."""
        if len(self.seeds) < 2:
            return np.zeros(len(self.fractions))
        return self.accuracies.std(axis=1, ddof=1)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable form (for ``metrics.json``)."""
        return {
            "probe": self.probe,
            "fractions": list(self.fractions),
            "seeds": list(self.seeds),
            "train_rows": list(self.train_rows),
            "accuracies": self.accuracies.tolist(),
            "mean": self.mean.tolist(),
            "std": self.std.tolist(),
        }


def stratified_subsample(labels: LabelsLike, fraction: float, *, seed: int) -> np.ndarray:
    """Indices of a class-stratified subset holding ``fraction`` of the rows.

    Each class keeps ``max(1, round(fraction * class_size))`` rows drawn without replacement, so no class
    disappears; the same ``seed`` gives the same subset.

    Args:
        labels: 1-D integer class ids of the full training split.
        fraction: share to keep, in ``(0, 1]``.
        seed: seeds the draw.

    Returns:
        Sorted row indices (int64).

    Example:
        >>> stratified_subsample([0, 0, 0, 0, 1, 1, 1, 1], 0.5, seed=0).size
        4
    """
    labels = labels_as_numpy("labels", labels, rows=None)
    _check_fraction(fraction)
    rng = np.random.default_rng(seed)
    chosen = [
        rng.choice(rows, size=_kept_rows(fraction, rows.size), replace=False)
        for rows in (np.flatnonzero(labels == label) for label in np.unique(labels))
    ]
    return np.sort(np.concatenate(chosen)).astype(np.int64)


def label_efficiency_curve(
    train_embeddings: EmbeddingsLike,
    train_labels: LabelsLike,
    test_embeddings: EmbeddingsLike,
    test_labels: LabelsLike,
    *,
    probe: Probe = "linear",
    fractions: Sequence[float] = (0.01, 0.1, 1.0),
    seeds: Sequence[int] = (0, 1, 2),
    probe_options: Mapping[str, Any] | None = None,
) -> LabelEfficiencyCurve:
    """Probe accuracy on the full test split when trained on stratified fractions of the training labels.

    Args:
        train_embeddings: ``(N_train, D)`` tensor or array.
        train_labels: ``N_train`` integer class ids (at least two classes).
        test_embeddings: ``(N_test, D)``.
        test_labels: ``N_test`` integer class ids.
        probe: ``"linear"``, ``"svm"`` or ``"knn"``.
        fractions: shares of the training labels to keep, each in ``(0, 1]``.
        seeds: one subsample (and probe seed, where the probe has one) per seed.
        probe_options: keyword arguments for the probe, e.g. ``{"k": 20}`` for kNN or ``{"c_grid": [...]}``.

    Returns:
        A ``LabelEfficiencyCurve`` with one accuracy per fraction and seed.

    Raises:
        ValueError: shapes or lengths do not match, a fraction is outside ``(0, 1]``, no seed is given, the
            probe is unknown, or kNN's ``k`` exceeds the rows kept at the smallest fraction.

    Example:
        >>> curve = label_efficiency_curve(torch.randn(200, 8), torch.arange(200) % 2, torch.randn(50, 8),
        ...                          torch.arange(50) % 2, probe="knn", probe_options={"k": 1})
        >>> curve.fractions
        (0.01, 0.1, 1.0)
    """
    if probe not in ("linear", "svm", "knn"):
        raise ValueError(f"probe must be 'linear', 'svm' or 'knn', got {probe!r}")
    if len(seeds) == 0:
        raise ValueError("seeds must hold at least one seed")
    fractions = tuple(sorted(float(fraction) for fraction in fractions))
    if not fractions:
        raise ValueError("fractions must hold at least one fraction")
    for fraction in fractions:
        _check_fraction(fraction)
    x_train = checked_embeddings("train_embeddings", train_embeddings)
    x_test = checked_embeddings("test_embeddings", test_embeddings)
    check_same_width("train_embeddings", x_train, "test_embeddings", x_test)
    y_train = labels_as_numpy("train_labels", train_labels, rows=x_train.shape[0])
    y_test = labels_as_numpy("test_labels", test_labels, rows=x_test.shape[0])
    check_several_classes("train_labels", y_train)

    class_sizes = np.unique(y_train, return_counts=True)[1]
    train_rows = tuple(int(sum(_kept_rows(fraction, size) for size in class_sizes)) for fraction in fractions)
    options = dict(probe_options or {})
    k = options.get("k", DEFAULT_K)
    if probe == "knn" and isinstance(k, int) and k > train_rows[0]:
        raise ValueError(
            f"kNN's k={k} exceeds the {train_rows[0]} training rows kept at fraction {fractions[0]:g}; "
            f"pass probe_options={{'k': {train_rows[0]}}} or less"
        )

    accuracies = np.empty((len(fractions), len(seeds)))
    for row, fraction in enumerate(fractions):
        for column, seed in enumerate(seeds):
            subset = stratified_subsample(y_train, fraction, seed=seed)
            rows = torch.from_numpy(subset).to(x_train.device)
            accuracies[row, column] = _probe_accuracy(
                probe, x_train[rows], y_train[subset], x_test, y_test, seed=seed, options=options
            )
    return LabelEfficiencyCurve(
        probe=probe,
        fractions=fractions,
        seeds=tuple(int(seed) for seed in seeds),
        train_rows=train_rows,
        accuracies=accuracies,
    )


def _probe_accuracy(
    probe: Probe,
    x_train: torch.Tensor,
    y_train: np.ndarray,
    x_test: torch.Tensor,
    y_test: np.ndarray,
    *,
    seed: int,
    options: dict[str, Any],
) -> float:
    if probe == "knn":
        return knn_accuracy(x_train, y_train, x_test, y_test, **options)
    fit = fit_linear_probe if probe == "linear" else fit_svm_probe
    return fit(x_train, y_train, x_test, y_test, **{"seed": seed, **options}).accuracy


def _kept_rows(fraction: float, class_size: int) -> int:
    return max(1, round(fraction * class_size))


def _check_fraction(fraction: float) -> None:
    if not 0 < fraction <= 1:
        raise ValueError(f"fractions must lie in (0, 1], got {fraction!r}")
