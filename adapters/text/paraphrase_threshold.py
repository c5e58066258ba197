"""Paraphrase classification from cosine similarity: a threshold chosen on dev pairs, scored on test pairs.

A pair is predicted a paraphrase when its cosine similarity is at least the threshold. The threshold that
maximises dev accuracy is found in one sort: every cut between two distinct similarities is tried, and the
threshold is the midpoint of the best cut (as sentence-transformers' ``BinaryClassificationEvaluator`` does).

Example:
    >>> threshold, dev_accuracy = best_threshold(np.array([0.9, 0.8, 0.3, 0.2]), np.array([1, 1, 0, 0]))
    >>> round(threshold, 2), dev_accuracy
    (0.55, 1.0)
    >>> classification_scores(np.array([0.7, 0.4]), np.array([1, 0]), threshold)
    {'accuracy': 1.0, 'f1': 1.0}
"""

from __future__ import annotations

import numpy as np


def check_binary_labels(labels: np.ndarray, name: str) -> np.ndarray:
    """``labels`` as 0/1 integers, or a ValueError naming the data."""
    values = np.unique(labels)
    if not np.isin(values, [0, 1]).all():
        raise ValueError(
            f"{name}: paraphrase labels must be 0 or 1, got {values[:5].tolist()}; map the label column as `score`"
        )
    return labels.astype(np.int64)


def best_threshold(similarities: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """The cosine threshold with the highest accuracy on these pairs, and that accuracy.

    Args:
        similarities: ``(N,)`` cosine similarity of each pair.
        labels: ``(N,)`` 1 for a paraphrase, 0 otherwise.
    """
    order = np.argsort(-similarities, kind="stable")
    ordered, ordered_labels = similarities[order], labels[order]
    positives_above = np.concatenate([[0], np.cumsum(ordered_labels)])  # among the k highest, k = 0..N
    k = np.arange(len(ordered) + 1)
    correct = positives_above + (len(ordered) - labels.sum()) - (k - positives_above)
    # A cut is only possible between distinct similarities (and above the highest, below the lowest).
    possible = np.concatenate([[True], ordered[:-1] > ordered[1:], [True]])
    best = int(np.flatnonzero(possible)[np.argmax(correct[possible])])
    if best == 0:
        threshold = float(ordered[0]) + 1.0
    elif best == len(ordered):
        threshold = float(ordered[-1]) - 1.0
    else:
        threshold = float(ordered[best - 1] + ordered[best]) / 2
    return threshold, float(correct[best]) / len(ordered)


def classification_scores(similarities: np.ndarray, labels: np.ndarray, threshold: float) -> dict[str, float]:
    """Accuracy and F1 (of the paraphrase class) of predicting ``similarity >= threshold``."""
    predicted = similarities >= threshold
    true_positives = float(np.sum(predicted & (labels == 1)))
    predicted_positives, actual_positives = float(predicted.sum()), float(labels.sum())
    denominator = predicted_positives + actual_positives
    return {
        "accuracy": float(np.mean(predicted == (labels == 1))),
        "f1": 2 * true_positives / denominator if denominator else 0.0,
    }
