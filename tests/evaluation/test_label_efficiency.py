import numpy as np
import pytest
import torch

from mmcl.evaluation import fit_linear_probe, knn_accuracy, label_efficiency_curve, stratified_subsample
from tests.evaluation.clustered import clustered

# Imbalanced: class 2 has only 3 rows, so 1 % of it rounds to 0 and must still keep one.
LABELS = np.array([0] * 500 + [1] * 200 + [2] * 3 + [3] * 97)


@pytest.mark.parametrize("fraction", [0.01, 0.1, 0.5, 1.0])
def test_subsample_keeps_every_class_with_stratified_counts(fraction):
    subset = stratified_subsample(LABELS, fraction, seed=0)
    assert np.unique(subset).size == subset.size  # no row twice
    assert np.all(np.diff(subset) > 0)
    counts = {label: int((LABELS[subset] == label).sum()) for label in range(4)}
    sizes = np.bincount(LABELS)
    expected = {label: max(1, round(fraction * int(sizes[label]))) for label in range(4)}
    assert counts == expected


def test_full_fraction_keeps_everything():
    np.testing.assert_array_equal(stratified_subsample(LABELS, 1.0, seed=5), np.arange(LABELS.size))


def test_subsample_is_reproducible_by_seed():
    first = stratified_subsample(torch.from_numpy(LABELS), 0.1, seed=3)
    np.testing.assert_array_equal(first, stratified_subsample(LABELS, 0.1, seed=3))
    assert not np.array_equal(first, stratified_subsample(LABELS, 0.1, seed=4))


def test_curve_is_knn_on_each_subsample():
    x, y = clustered(1100, dim=8, classes=4, spread=2.0)
    train, train_labels, test, test_labels = x[:1000], y[:1000], x[1000:], y[1000:]
    fractions, seeds = (0.02, 0.2, 1.0), (0, 1, 2)
    curve = label_efficiency_curve(
        train,
        train_labels,
        test,
        test_labels,
        probe="knn",
        fractions=fractions,
        seeds=seeds,
        probe_options={"k": 5},
    )
    expected = np.array(
        [
            [
                knn_accuracy(train[rows], train_labels[rows], test, test_labels, k=5)
                for rows in (stratified_subsample(train_labels, fraction, seed=seed) for seed in seeds)
            ]
            for fraction in fractions
        ]
    )
    np.testing.assert_array_equal(curve.accuracies, expected)
    np.testing.assert_allclose(curve.mean, expected.mean(axis=1))
    np.testing.assert_allclose(curve.std, expected.std(axis=1, ddof=1))
    assert curve.train_rows == (20, 200, 1000)
    assert curve.mean[-1] >= curve.mean[0]  # more labels do not hurt on these clusters
    assert curve.to_dict()["mean"] == curve.mean.tolist()


def test_linear_probe_curve_passes_the_seed_and_options_on():
    x, y = clustered(500, dim=6, classes=3, spread=2.0)
    train, train_labels, test, test_labels = x[:400], y[:400], x[400:], y[400:]
    curve = label_efficiency_curve(
        torch.from_numpy(train),
        train_labels,
        torch.from_numpy(test),
        test_labels,
        probe="linear",
        fractions=(0.1,),
        seeds=(7,),
        probe_options={"c_grid": [0.1, 1.0]},
    )
    rows = stratified_subsample(train_labels, 0.1, seed=7)
    expected = fit_linear_probe(train[rows], train_labels[rows], test, test_labels, c_grid=[0.1, 1.0], seed=7)
    assert curve.accuracies[0, 0] == pytest.approx(expected.accuracy)
    assert curve.std.tolist() == [0.0]  # a single seed


def test_svm_curve_runs_on_tiny_fractions():
    x, y = clustered(300, dim=6, classes=3, spread=2.0)
    curve = label_efficiency_curve(
        x[:200], y[:200], x[200:], y[200:], probe="svm", fractions=(0.05, 1.0), seeds=(0, 1)
    )
    assert curve.accuracies.shape == (2, 2)
    assert np.all((curve.accuracies >= 0) & (curve.accuracies <= 1))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"probe": "forest"}, "probe must be 'linear', 'svm' or 'knn'"),
        ({"fractions": (0.0, 1.0)}, r"fractions must lie in \(0, 1\]"),
        ({"fractions": (1.5,)}, r"fractions must lie in \(0, 1\]"),
        ({"fractions": ()}, "at least one fraction"),
        ({"seeds": ()}, "at least one seed"),
        (
            {"probe": "knn", "fractions": (0.01, 1.0)},
            "k=200 exceeds the 4 training rows kept at fraction 0.01",
        ),
        ({"train_labels": np.zeros(400, dtype=int)}, "single class"),
    ],
)
def test_bad_input_raises(change, message):
    x, y = clustered(500, dim=6, classes=4)
    arguments = {
        "train_embeddings": x[:400],
        "train_labels": y[:400],
        "test_embeddings": x[400:],
        "test_labels": y[400:],
        **change,
    }
    with pytest.raises(ValueError, match=message):
        label_efficiency_curve(**arguments)
