import math

import numpy as np
import pytest
import torch
from sklearn.neighbors import KNeighborsClassifier

from mmcl.evaluation import knn_accuracy, knn_predict
from tests.evaluation.clustered import clustered


def knn_loop(train, train_labels, test, k, temperature):
    """Per query: cosine with every training row, k most similar, sum exp(sim / T) per class, largest wins."""
    predictions = []
    for query in test:
        similarities = [float(query @ row / (np.linalg.norm(query) * np.linalg.norm(row))) for row in train]
        nearest = sorted(range(len(train)), key=lambda i: -similarities[i])[:k]
        votes = {}
        for i in nearest:
            label = int(train_labels[i])
            votes[label] = votes.get(label, 0.0) + math.exp(similarities[i] / temperature)
        predictions.append(max(sorted(votes), key=lambda label: votes[label]))
    return np.array(predictions)


def _split(rows=230, train_rows=200, classes=4, labels_as=(3, 7, 11, 20)):
    x, y = clustered(rows, dim=12, classes=classes, spread=2.0)
    y = np.asarray(labels_as)[y]
    return x[:train_rows], y[:train_rows], x[train_rows:], y[train_rows:]


@pytest.mark.parametrize(
    ("k", "temperature", "chunk_size"), [(1, 0.1, 256), (5, 0.1, 7), (50, 0.07, 1), (200, 0.5, 64)]
)
def test_predictions_match_naive_loop(k, temperature, chunk_size):
    train, train_labels, test, _ = _split()
    expected = knn_loop(train, train_labels, test, k, temperature)
    actual = knn_predict(
        torch.from_numpy(train),
        torch.from_numpy(train_labels),
        torch.from_numpy(test),
        k=k,
        temperature=temperature,
        chunk_size=chunk_size,
    )
    np.testing.assert_array_equal(actual.numpy(), expected)


def test_k1_matches_sklearn_cosine_nearest_neighbour():
    train, train_labels, test, _ = _split()
    reference = KNeighborsClassifier(n_neighbors=1, metric="cosine").fit(train, train_labels).predict(test)
    np.testing.assert_array_equal(knn_predict(train, train_labels, test, k=1).numpy(), reference)


def test_large_temperature_is_sklearn_uniform_majority_vote():
    train, train_labels, test, _ = _split(classes=2, labels_as=(0, 1))
    reference = KNeighborsClassifier(n_neighbors=7, metric="cosine").fit(train, train_labels).predict(test)
    actual = knn_predict(train, train_labels, test, k=7, temperature=1e6)
    np.testing.assert_array_equal(actual.numpy(), reference)


def test_temperature_weighting_can_outvote_the_majority():
    # One very similar class-0 neighbour against two less similar class-1 neighbours (k = 3).
    angles = np.array([0.0, 1.0, 1.05, 3.0])
    train = np.stack([np.cos(angles), np.sin(angles)], axis=1)
    labels = np.array([0, 1, 1, 0])
    query = np.array([[1.0, 0.0]])
    assert knn_predict(train, labels, query, k=3, temperature=0.1).tolist() == [0]
    assert knn_predict(train, labels, query, k=3, temperature=100.0).tolist() == [1]


def test_tiny_temperature_does_not_overflow_and_reduces_to_nearest_neighbour():
    train, train_labels, test, _ = _split()
    nearest = knn_predict(train, train_labels, test, k=1)
    np.testing.assert_array_equal(knn_predict(train, train_labels, test, k=50, temperature=1e-4), nearest)


def test_accuracy_and_predictions_agree_with_labels():
    train, train_labels, test, test_labels = _split()
    accuracy, predictions = knn_accuracy(
        train, train_labels, test, test_labels, k=20, return_predictions=True
    )
    assert accuracy == pytest.approx(float((predictions.numpy() == test_labels).mean()))
    assert accuracy > 0.6  # separable clusters; chance is 0.25
    assert knn_accuracy(train, train_labels, test, test_labels, k=20) == accuracy


def test_numpy_and_tensor_inputs_give_the_same_predictions():
    train, train_labels, test, _ = _split()
    from_numpy = knn_predict(train, train_labels, test, k=10)
    from_tensors = knn_predict(
        torch.from_numpy(train).float(), torch.from_numpy(train_labels), torch.from_numpy(test).float(), k=10
    )
    assert torch.equal(from_numpy, from_tensors)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"k": 201}, "k must be an integer between 1 and the number of training rows"),
        ({"k": 0}, "k must be an integer"),
        ({"temperature": 0.0}, "temperature must be a finite number > 0"),
        ({"chunk_size": 0}, "chunk_size must be a positive integer"),
        (
            {"train_labels": np.zeros(199, dtype=int)},
            "train_labels has 199 entries but the embeddings have 200",
        ),
        ({"train_labels": np.zeros(200, dtype=int)}, "single class"),
        ({"train_labels": np.zeros(200)}, "integer class ids"),
        ({"test_embeddings": np.ones((5, 3))}, "same embedding dimension"),
        ({"test_embeddings": np.ones((2, 5, 12))}, "must be 2-D"),
        ({"train_embeddings": np.full((200, 12), np.nan)}, "NaN or infinite"),
    ],
)
def test_bad_input_raises(change, message):
    train, train_labels, test, _ = _split()
    arguments = {"train_embeddings": train, "train_labels": train_labels, "test_embeddings": test, **change}
    with pytest.raises(ValueError, match=message):
        knn_predict(**arguments)


def test_test_labels_length_is_checked():
    train, train_labels, test, test_labels = _split()
    with pytest.raises(ValueError, match="test_labels has 29 entries but the embeddings have 30"):
        knn_accuracy(train, train_labels, test, test_labels[:-1])
