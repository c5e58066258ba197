"""Linear probe: multinomial logistic regression on frozen, standardised embeddings.

Features are standardised with the training split's mean and standard deviation. The inverse regularisation
strength ``C`` is chosen on the training split only — the test split is scored once, with the final model:

- up to ``torch_threshold`` training rows: scikit-learn ``LogisticRegression`` (L-BFGS), ``C`` chosen by
  ``GridSearchCV`` with ``StratifiedKFold`` (accuracy), then refitted on the whole training split;
- above it: the same model in torch — full-batch L-BFGS on the device the embeddings are on — with ``C``
  chosen on a random held-out slice of the training split (``validation_fraction``), then refitted on all of
  it. ``C`` maps to a weight decay on the mean cross-entropy of ``1 / (C * N)``, which is scikit-learn's
  objective divided by ``C * N``, so both paths fit the same model and report ``C`` the same way.

On a small CPU shared with other processes, BLAS threads waiting on each other can make the scikit-learn path
several times slower; ``with threadpoolctl.threadpool_limits(1): fit_linear_probe(...)`` avoids that (20,000 x 256
on two busy cores: 97 s with two BLAS threads, 13 s with one).

Example:
    >>> import torch
    >>> from mmcl.evaluation import fit_linear_probe
    >>> train, test = torch.randn(200, 16), torch.randn(50, 16)
    >>> result = fit_linear_probe(train, torch.randint(0, 3, (200,)), test, torch.randint(0, 3, (50,)))
    >>> result.accuracy, result.c, result.selection  # doctest: +SKIP
    (0.36, 0.001, '5-fold stratified CV on train')
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.preprocessing import StandardScaler

from mmcl.evaluation.inputs import (
    EmbeddingsLike,
    LabelsLike,
    check_same_width,
    check_several_classes,
    checked_embeddings,
    labels_as_numpy,
)
from mmcl.evaluation.probe_result import ProbeResult

DEFAULT_C_GRID: tuple[float, ...] = tuple(10.0**power for power in range(-4, 5))
"""``C`` values tried by default: 1e-4, 1e-3, ..., 1e4."""

FALLBACK_C = 1.0
"""``C`` used when a class has a single training example, so no stratified split exists."""


def fit_linear_probe(
    train_embeddings: EmbeddingsLike,
    train_labels: LabelsLike,
    test_embeddings: EmbeddingsLike,
    test_labels: LabelsLike,
    *,
    c_grid: Sequence[float] = DEFAULT_C_GRID,
    cv_folds: int = 5,
    torch_threshold: int = 20_000,
    validation_fraction: float = 0.1,
    max_iter: int = 1000,
    seed: int = 0,
    n_jobs: int | None = None,
) -> ProbeResult:
    """Fit a logistic-regression probe on the training split, choosing ``C`` there, and score it on the test split.

    Args:
        train_embeddings: ``(N_train, D)`` tensor or array.
        train_labels: ``N_train`` integer class ids (at least two classes).
        test_embeddings: ``(N_test, D)``.
        test_labels: ``N_test`` integer class ids.
        c_grid: candidate inverse regularisation strengths (scikit-learn's ``C``); a single value is used
            as given, without selection.
        cv_folds: folds of the stratified cross-validation (scikit-learn path); reduced to the size of the
            smallest class when that is smaller. A class with one example leaves no split:
            ``C = FALLBACK_C`` is used and ``selection`` says so.
        torch_threshold: above this many training rows the torch path runs instead of scikit-learn.
        validation_fraction: share of the training rows held out to choose ``C`` on the torch path.
        max_iter: L-BFGS iterations per fit.
        seed: seeds the fold shuffling (scikit-learn) or the held-out slice (torch).
        n_jobs: parallel fits of the scikit-learn grid search (``None``: one).

    Returns:
        A ``ProbeResult`` with the test accuracy, the chosen ``C`` and how it was chosen.

    Raises:
        ValueError: shapes or lengths do not match, the training labels hold a single class, or a setting is
            out of range.

    Example:
        >>> result = fit_linear_probe(torch.randn(100, 8), torch.arange(100) % 2, torch.randn(20, 8),
        ...                       torch.arange(20) % 2, c_grid=[0.1, 1.0])
    """
    grid = _checked_grid(c_grid)
    _check_settings(
        cv_folds=cv_folds,
        torch_threshold=torch_threshold,
        validation_fraction=validation_fraction,
        max_iter=max_iter,
    )
    x_train = checked_embeddings("train_embeddings", train_embeddings)
    x_test = checked_embeddings("test_embeddings", test_embeddings)
    check_same_width("train_embeddings", x_train, "test_embeddings", x_test)
    y_train = labels_as_numpy("train_labels", train_labels, rows=x_train.shape[0])
    y_test = labels_as_numpy("test_labels", test_labels, rows=x_test.shape[0])
    check_several_classes("train_labels", y_train)
    if x_train.shape[0] > torch_threshold:
        c, selection, predictions = _torch_probe(
            x_train.float(),
            y_train,
            x_test.to(device=x_train.device, dtype=torch.float32),
            grid=grid,
            validation_fraction=validation_fraction,
            max_iter=max_iter,
            seed=seed,
        )
        classifier = f"logistic regression (torch, full-batch L-BFGS on {x_train.device})"
    else:
        c, selection, predictions = _sklearn_probe(
            x_train.cpu().double().numpy(),
            y_train,
            x_test.cpu().double().numpy(),
            grid=grid,
            cv_folds=cv_folds,
            max_iter=max_iter,
            seed=seed,
            n_jobs=n_jobs,
        )
        classifier = "logistic regression (scikit-learn, L-BFGS)"
    return ProbeResult(
        accuracy=float((predictions == y_test).mean()),
        c=c,
        selection=selection,
        classifier=classifier,
        predictions=predictions,
    )


def _sklearn_probe(
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_test: np.ndarray,
    *,
    grid: list[float],
    cv_folds: int,
    max_iter: int,
    seed: int,
    n_jobs: int | None,
) -> tuple[float, str, np.ndarray]:
    """``(C, how it was chosen, test predictions)`` from scikit-learn with a stratified CV grid search."""
    scaler = StandardScaler().fit(x_train)
    x_train, x_test = scaler.transform(x_train), scaler.transform(x_test)
    smallest_class = int(np.unique(y_train, return_counts=True)[1].min())
    folds = min(cv_folds, smallest_class)
    if len(grid) == 1:
        c, selection = grid[0], "given (a single C)"
    elif folds < 2:
        c = FALLBACK_C
        selection = f"fixed C={FALLBACK_C:g}: a class has a single training example, too few for CV"
    else:
        search = GridSearchCV(
            LogisticRegression(max_iter=max_iter),
            {"C": grid},
            cv=StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed),
            scoring="accuracy",
            refit=False,
            n_jobs=n_jobs,
        ).fit(x_train, y_train)
        c, selection = float(search.best_params_["C"]), f"{folds}-fold stratified CV on train"
    model = LogisticRegression(C=c, max_iter=max_iter).fit(x_train, y_train)
    return c, selection, model.predict(x_test)


def _torch_probe(
    x_train: torch.Tensor,
    y_train: np.ndarray,
    x_test: torch.Tensor,
    *,
    grid: list[float],
    validation_fraction: float,
    max_iter: int,
    seed: int,
) -> tuple[float, str, np.ndarray]:
    """``(C, how it was chosen, test predictions)`` from L-BFGS in torch, ``C`` chosen on a held-out slice."""
    mean, std = x_train.mean(dim=0), x_train.std(dim=0, correction=0)
    std = torch.where(std > 0, std, torch.ones_like(std))
    x_train, x_test = (x_train - mean) / std, (x_test - mean) / std
    classes, class_indices = np.unique(y_train, return_inverse=True)
    targets = torch.from_numpy(class_indices).to(x_train.device)
    if len(grid) == 1:
        c, selection = grid[0], "given (a single C)"
    else:
        c = _select_c_on_held_out_slice(
            x_train, targets, classes.size, grid, validation_fraction, max_iter, seed
        )
        selection = f"held-out {validation_fraction:.0%} of train"
    weight, bias = fit_softmax_regression(
        x_train, targets, classes.size, weight_decay=1.0 / (c * x_train.shape[0]), max_iter=max_iter
    )
    return c, selection, classes[(x_test @ weight + bias).argmax(dim=1).cpu().numpy()]


def _select_c_on_held_out_slice(
    x: torch.Tensor,
    targets: torch.Tensor,
    num_classes: int,
    grid: list[float],
    validation_fraction: float,
    max_iter: int,
    seed: int,
) -> float:
    """Fit on the rest of train for each ``C`` (ascending, warm-started) and keep the best held-out accuracy;
    ties go to the smaller ``C`` (the stronger regularisation)."""
    order = torch.randperm(x.shape[0], generator=torch.Generator().manual_seed(seed)).to(x.device)
    held_out_rows = min(max(1, round(validation_fraction * x.shape[0])), x.shape[0] - 1)
    held_out, fit = order[:held_out_rows], order[held_out_rows:]
    best_c, best_accuracy, start = grid[0], -1.0, None
    for c in grid:
        start = fit_softmax_regression(
            x[fit],
            targets[fit],
            num_classes,
            weight_decay=1.0 / (c * fit.numel()),
            max_iter=max_iter,
            start=start,
        )
        weight, bias = start
        accuracy = float(((x[held_out] @ weight + bias).argmax(dim=1) == targets[held_out]).float().mean())
        if accuracy > best_accuracy:
            best_c, best_accuracy = c, accuracy
    return best_c


def fit_softmax_regression(
    x: torch.Tensor,
    targets: torch.Tensor,
    num_classes: int,
    *,
    weight_decay: float,
    max_iter: int = 1000,
    start: tuple[torch.Tensor, torch.Tensor] | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Minimise ``mean cross-entropy + weight_decay / 2 * ||W||^2`` (bias not penalised) with full-batch L-BFGS.

    Stops after ``max_iter`` iterations or once no gradient entry exceeds 1e-5 in magnitude.

    Args:
        x: ``(N, D)`` features (standardised by the caller).
        targets: ``(N,)`` class indices in ``0..num_classes-1``, on the device of ``x``.
        num_classes: number of output classes.
        weight_decay: L2 penalty on the weights; scikit-learn's ``C`` is ``1 / (weight_decay * N)``.
        max_iter: L-BFGS iterations.
        start: ``(weight, bias)`` to start from (warm start along a regularisation path); zeros otherwise.

    Returns:
        ``weight`` of shape ``(D, num_classes)`` and ``bias`` of shape ``(num_classes,)``, detached.

    Example:
        >>> weight, bias = fit_softmax_regression(torch.randn(50, 4), torch.arange(50) % 3, 3, weight_decay=1e-2)
        >>> weight.shape
        torch.Size([4, 3])
    """
    if start is None:
        weight = torch.zeros(x.shape[1], num_classes, device=x.device, dtype=x.dtype)
        bias = torch.zeros(num_classes, device=x.device, dtype=x.dtype)
    else:
        weight, bias = (tensor.clone() for tensor in start)
    weight.requires_grad_(True)
    bias.requires_grad_(True)
    optimizer = torch.optim.LBFGS(
        [weight, bias],
        lr=1.0,
        max_iter=max_iter,
        tolerance_grad=1e-5,
        tolerance_change=1e-9,
        history_size=20,
        line_search_fn="strong_wolfe",
    )

    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        loss = F.cross_entropy(x @ weight + bias, targets) + 0.5 * weight_decay * weight.square().sum()
        loss.backward()
        return loss

    optimizer.step(closure)
    return weight.detach(), bias.detach()


def _checked_grid(c_grid: Sequence[float]) -> list[float]:
    grid = sorted(float(c) for c in c_grid)
    if not grid or not all(math.isfinite(c) and c > 0 for c in grid):
        raise ValueError(f"c_grid must hold at least one finite number > 0, got {list(c_grid)!r}")
    return grid


def _check_settings(
    *, cv_folds: int, torch_threshold: int, validation_fraction: float, max_iter: int
) -> None:
    if isinstance(cv_folds, bool) or not isinstance(cv_folds, int) or cv_folds < 2:
        raise ValueError(f"cv_folds must be an integer >= 2, got {cv_folds!r}")
    if isinstance(torch_threshold, bool) or not isinstance(torch_threshold, int) or torch_threshold < 0:
        raise ValueError(f"torch_threshold must be an integer >= 0, got {torch_threshold!r}")
    if not 0 < validation_fraction < 1:
        raise ValueError(f"validation_fraction must be in (0, 1), got {validation_fraction!r}")
    if isinstance(max_iter, bool) or not isinstance(max_iter, int) or max_iter < 1:
        raise ValueError(f"max_iter must be a positive integer, got {max_iter!r}")
