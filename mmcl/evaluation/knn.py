"""Weighted k-nearest-neighbour classification on frozen embeddings (the InstDisc / lightly kNN monitor).

Each test embedding is compared by cosine similarity with every training embedding; its ``k`` most similar
neighbours vote for their class with weight ``exp(similarity / temperature)``, the one-hot votes are summed
per class and the class with the largest total wins (Wu et al., 2018, "Unsupervised Feature Learning via
Non-Parametric Instance Discrimination"; ``lightly.utils.benchmarking.knn_predict``). The test set is
processed ``chunk_size`` rows at a time, so only a ``(chunk_size, N_train)`` similarity block ever exists;
100k x 100k never materialises. Everything runs in torch on the device of ``train_embeddings``.

Example:
    >>> import torch
    >>> from mmcl.evaluation import knn_accuracy
    >>> train, test = torch.randn(500, 64), torch.randn(100, 64)
    >>> train_labels, test_labels = torch.randint(0, 10, (500,)), torch.randint(0, 10, (100,))
    >>> accuracy = knn_accuracy(train, train_labels, test, test_labels, k=20)
"""

from __future__ import annotations

import math
from typing import Literal, overload

import numpy as np
import torch
import torch.nn.functional as F

from mmcl.evaluation.inputs import (
    EmbeddingsLike,
    LabelsLike,
    check_same_width,
    check_several_classes,
    embeddings_as_tensor,
    labels_as_numpy,
)

DEFAULT_K = 200
"""Neighbours that vote by default (InstDisc / lightly)."""


def knn_predict(
    train_embeddings: EmbeddingsLike,
    train_labels: LabelsLike,
    test_embeddings: EmbeddingsLike,
    *,
    k: int = DEFAULT_K,
    temperature: float = 0.1,
    chunk_size: int = 256,
) -> torch.Tensor:
    """Predict a class for every test embedding by temperature-weighted voting of its ``k`` nearest neighbours.

    Votes are computed as ``exp((similarity - best_similarity) / temperature)``: the same weights as
    ``exp(similarity / temperature)`` scaled by one positive constant per query, so the winning class is
    identical, but no weight overflows for small temperatures. Ties go to the smallest class id.

    Args:
        train_embeddings: ``(N_train, D)`` tensor or array; need not be normalised.
        train_labels: ``N_train`` integer class ids (any integers, not necessarily ``0..C-1``).
        test_embeddings: ``(N_test, D)``; moved to the device of ``train_embeddings``.
        k: neighbours that vote; at most ``N_train``.
        temperature: softness of the vote weights (InstDisc / lightly use 0.1).
        chunk_size: test rows compared with the whole training set at once (memory
            ``chunk_size * N_train * 4`` bytes).

    Returns:
        ``(N_test,)`` int64 tensor of predicted class ids, on the device of ``train_embeddings``.

    Raises:
        ValueError: shapes or lengths do not match, ``k`` is outside ``1..N_train``, ``temperature`` is not
            a finite positive number, or the training labels hold a single class.

    Example:
        >>> predictions = knn_predict(torch.randn(300, 32), torch.randint(0, 5, (300,)), torch.randn(7, 32), k=10)
        >>> predictions.shape
        torch.Size([7])
    """
    bank = F.normalize(embeddings_as_tensor("train_embeddings", train_embeddings), dim=1)
    labels = labels_as_numpy("train_labels", train_labels, rows=bank.shape[0])
    queries = embeddings_as_tensor("test_embeddings", test_embeddings, device=bank.device)
    check_same_width("train_embeddings", bank, "test_embeddings", queries)
    check_several_classes("train_labels", labels)
    _check_settings(k=k, temperature=temperature, chunk_size=chunk_size, train_rows=bank.shape[0])

    classes, class_indices = np.unique(labels, return_inverse=True)
    neighbour_classes = torch.from_numpy(class_indices).to(bank.device)
    predictions = torch.empty(queries.shape[0], dtype=torch.int64, device=bank.device)
    for start in range(0, queries.shape[0], chunk_size):
        chunk = F.normalize(queries[start : start + chunk_size], dim=1)
        similarity, neighbours = (chunk @ bank.T).topk(k, dim=1)
        weights = ((similarity - similarity[:, :1]) / temperature).exp()
        votes = torch.zeros(chunk.shape[0], classes.size, device=bank.device)
        votes.scatter_add_(1, neighbour_classes[neighbours], weights)
        predictions[start : start + chunk.shape[0]] = votes.argmax(dim=1)
    return torch.from_numpy(classes).to(bank.device)[predictions]


@overload
def knn_accuracy(
    train_embeddings: EmbeddingsLike,
    train_labels: LabelsLike,
    test_embeddings: EmbeddingsLike,
    test_labels: LabelsLike,
    *,
    k: int = ...,
    temperature: float = ...,
    chunk_size: int = ...,
    return_predictions: Literal[False] = ...,
) -> float: ...


@overload
def knn_accuracy(
    train_embeddings: EmbeddingsLike,
    train_labels: LabelsLike,
    test_embeddings: EmbeddingsLike,
    test_labels: LabelsLike,
    *,
    k: int = ...,
    temperature: float = ...,
    chunk_size: int = ...,
    return_predictions: Literal[True],
) -> tuple[float, torch.Tensor]: ...


def knn_accuracy(
    train_embeddings: EmbeddingsLike,
    train_labels: LabelsLike,
    test_embeddings: EmbeddingsLike,
    test_labels: LabelsLike,
    *,
    k: int = DEFAULT_K,
    temperature: float = 0.1,
    chunk_size: int = 256,
    return_predictions: bool = False,
) -> float | tuple[float, torch.Tensor]:
    """Top-1 accuracy of ``knn_predict`` on a labelled test set.

    Args:
        train_embeddings, train_labels, test_embeddings, k, temperature, chunk_size: as in ``knn_predict``.
        test_labels: ``N_test`` integer class ids.
        return_predictions: also return the predicted class ids.

    Returns:
        The accuracy in ``[0, 1]``, or ``(accuracy, predictions)`` when ``return_predictions`` is true.

    Example:
        >>> accuracy, predictions = knn_accuracy(
        ...     torch.randn(300, 32), torch.randint(0, 5, (300,)), torch.randn(50, 32), torch.randint(0, 5, (50,)),
        ...     k=10, return_predictions=True,
        ... )
    """
    queries = embeddings_as_tensor("test_embeddings", test_embeddings)
    truth = labels_as_numpy("test_labels", test_labels, rows=queries.shape[0])
    predictions = knn_predict(
        train_embeddings, train_labels, queries, k=k, temperature=temperature, chunk_size=chunk_size
    )
    accuracy = float((predictions.cpu().numpy() == truth).mean())
    return (accuracy, predictions) if return_predictions else accuracy


def _check_settings(*, k: int, temperature: float, chunk_size: int, train_rows: int) -> None:
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= train_rows:
        raise ValueError(
            f"k must be an integer between 1 and the number of training rows ({train_rows}), got {k!r}"
        )
    if not isinstance(temperature, (int, float)) or not math.isfinite(temperature) or temperature <= 0:
        raise ValueError(f"temperature must be a finite number > 0, got {temperature!r}")
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
        raise ValueError(f"chunk_size must be a positive integer, got {chunk_size!r}")
