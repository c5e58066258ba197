"""The UCR / UEA time-series protocol of T-Loss and TS2Vec: an RBF SVM on frozen embeddings.

``C`` is chosen by ``GridSearchCV`` (5-fold stratified, accuracy) over 1e-4 .. 1e4 on the training split only,
and the best model, refitted on the training split, is scored on the test split. As in TS2Vec's
``fit_svm``: when the training split is too small for cross-validation — fewer than 5 rows per class on
average, or fewer than 50 rows — no search runs and the SVM is fitted with a hard margin (TS2Vec uses
``C = inf``; here ``HARD_MARGIN_C``, a large finite value that behaves the same and stays serialisable),
and a training split above ``max_train_rows`` is first subsampled (stratified) to that size. Logistic
regression on standardised features is available as ``classifier="logistic"`` (TS2Vec's ``fit_lr``, with
the same search; ``C = 1`` when the split is too small).

Example:
    >>> import numpy as np
    >>> from mmcl.evaluation import fit_svm_probe
    >>> rng = np.random.default_rng(0)
    >>> train, test = rng.normal(size=(120, 32)), rng.normal(size=(40, 32))
    >>> result = fit_svm_probe(train, np.arange(120) % 3, test, np.arange(40) % 3)
    >>> result.selection
    '5-fold stratified CV on train'
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from mmcl.evaluation.inputs import (
    EmbeddingsLike,
    LabelsLike,
    check_same_width,
    check_several_classes,
    embeddings_as_numpy,
    labels_as_numpy,
)
from mmcl.evaluation.probe_result import ProbeResult

SVM_C_GRID: tuple[float, ...] = tuple(10.0**power for power in range(-4, 5))
"""``C`` values searched: 1e-4, 1e-3, ..., 1e4."""

HARD_MARGIN_C = 1e6
"""``C`` of the SVM fitted without a search (TS2Vec's ``C = inf``)."""

LOGISTIC_FALLBACK_C = 1.0
"""``C`` of the logistic regression fitted without a search (TS2Vec's ``fit_lr`` default)."""

MIN_ROWS_FOR_SEARCH = 50
MIN_ROWS_PER_CLASS_FOR_SEARCH = 5


def fit_svm_probe(
    train_embeddings: EmbeddingsLike,
    train_labels: LabelsLike,
    test_embeddings: EmbeddingsLike,
    test_labels: LabelsLike,
    *,
    classifier: Literal["svm", "logistic"] = "svm",
    c_grid: Sequence[float] = SVM_C_GRID,
    cv_folds: int = 5,
    max_train_rows: int = 10_000,
    seed: int = 0,
    n_jobs: int | None = None,
) -> ProbeResult:
    """Fit an RBF SVM (or logistic regression) with ``C`` chosen by CV on train; score it on test.

    Args:
        train_embeddings: ``(N_train, D)`` tensor or array.
        train_labels: ``N_train`` integer class ids (at least two classes).
        test_embeddings: ``(N_test, D)``.
        test_labels: ``N_test`` integer class ids.
        classifier: ``"svm"`` (RBF kernel, ``gamma="scale"``, raw features) or ``"logistic"``
            (standardised features).
        c_grid: candidate values of ``C``.
        cv_folds: folds of the stratified grid search (not shuffled, as in TS2Vec).
        max_train_rows: a larger training split is subsampled, stratified, to this many rows before the
            search and the final fit (TS2Vec: 10,000).
        seed: seeds that subsampling.
        n_jobs: parallel fits of the grid search (``None``: one).

    Returns:
        A ``ProbeResult`` with the test accuracy, ``C`` and how it was chosen.

    Raises:
        ValueError: shapes or lengths do not match, the training labels hold a single class, or a setting is
            out of range.

    Example:
        >>> rng = np.random.default_rng(0)
        >>> result = fit_svm_probe(rng.normal(size=(30, 4)), np.arange(30) % 2, rng.normal(size=(10, 4)),
        ...                    np.arange(10) % 2)
        >>> result.c, result.selection.startswith("fixed C=1e+06")
        (1000000.0, True)
    """
    if classifier not in ("svm", "logistic"):
        raise ValueError(f"classifier must be 'svm' or 'logistic', got {classifier!r}")
    grid = sorted(float(c) for c in c_grid)
    if not grid or not all(math.isfinite(c) and c > 0 for c in grid):
        raise ValueError(f"c_grid must hold at least one finite number > 0, got {list(c_grid)!r}")
    for name, value, minimum in (("cv_folds", cv_folds, 2), ("max_train_rows", max_train_rows, 2)):
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    x_train = embeddings_as_numpy("train_embeddings", train_embeddings)
    x_test = embeddings_as_numpy("test_embeddings", test_embeddings)
    check_same_width("train_embeddings", x_train, "test_embeddings", x_test)
    y_train = labels_as_numpy("train_labels", train_labels, rows=x_train.shape[0])
    y_test = labels_as_numpy("test_labels", test_labels, rows=x_test.shape[0])
    check_several_classes("train_labels", y_train)

    num_classes = np.unique(y_train).size
    rows = x_train.shape[0]
    if rows // num_classes < MIN_ROWS_PER_CLASS_FOR_SEARCH or rows < MIN_ROWS_FOR_SEARCH:
        c = HARD_MARGIN_C if classifier == "svm" else LOGISTIC_FALLBACK_C
        selection = (
            f"fixed C={c:g}: {rows} training rows in {num_classes} classes are too few for CV "
            f"(needs >= {MIN_ROWS_FOR_SEARCH} rows and >= {MIN_ROWS_PER_CLASS_FOR_SEARCH} per class)"
        )
        model = _estimator(classifier, c).fit(x_train, y_train)
    else:
        selection = f"{cv_folds}-fold stratified CV on train"
        if rows > max_train_rows:
            x_train, _, y_train, _ = train_test_split(
                x_train, y_train, train_size=max_train_rows, random_state=seed, stratify=y_train
            )
            selection += f" (subsampled to {max_train_rows} rows)"
        parameter = "C" if classifier == "svm" else "logisticregression__C"
        search = GridSearchCV(
            _estimator(classifier, 1.0),
            {parameter: grid},
            cv=StratifiedKFold(n_splits=cv_folds),
            scoring="accuracy",
            n_jobs=n_jobs,
        ).fit(x_train, y_train)
        c, model = float(search.best_params_[parameter]), search.best_estimator_
    predictions = model.predict(x_test)
    return ProbeResult(
        accuracy=float((predictions == y_test).mean()),
        c=c,
        selection=selection,
        classifier="RBF SVM (scikit-learn SVC)"
        if classifier == "svm"
        else "logistic regression (scikit-learn)",
        predictions=predictions,
    )


def _estimator(classifier: str, c: float) -> ClassifierMixin:
    if classifier == "svm":
        return SVC(C=c, kernel="rbf", gamma="scale")
    return make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=1000))
