import numpy as np
import pytest
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import StandardScaler

from mmcl.evaluation import fit_linear_probe, fit_softmax_regression
from mmcl.evaluation.linear_probe import FALLBACK_C
from tests.evaluation.clustered import clustered

GRID = [0.001, 0.01, 0.1, 1.0, 10.0]


def _split(rows=400, train_rows=300, classes=4, seed=0):
    x, y = clustered(rows, dim=10, classes=classes, spread=2.5, seed=seed)
    return x[:train_rows], y[:train_rows], x[train_rows:], y[train_rows:]


def cross_validated_probe_loop(train, train_labels, test, test_labels, grid, folds=5, seed=0):
    """Stand-alone protocol: scale on train, mean fold accuracy per C by hand, refit the best C, score test."""
    scaler = StandardScaler().fit(train)
    train, test = scaler.transform(train), scaler.transform(test)
    splits = list(StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed).split(train, train_labels))
    scores = []
    for c in grid:
        fold_accuracies = []
        for fit_rows, held_rows in splits:
            model = LogisticRegression(C=c, max_iter=1000).fit(train[fit_rows], train_labels[fit_rows])
            fold_accuracies.append(model.score(train[held_rows], train_labels[held_rows]))
        scores.append(np.mean(fold_accuracies))
    best = grid[int(np.argmax(scores))]
    return best, LogisticRegression(C=best, max_iter=1000).fit(train, train_labels).score(test, test_labels)


def test_sklearn_path_matches_a_hand_written_cross_validation():
    train, train_labels, test, test_labels = _split()
    expected_c, expected_accuracy = cross_validated_probe_loop(train, train_labels, test, test_labels, GRID)
    result = fit_linear_probe(train, train_labels, test, test_labels, c_grid=GRID)
    assert result.c == expected_c
    assert result.accuracy == pytest.approx(expected_accuracy)
    assert result.selection == "5-fold stratified CV on train"
    assert result.accuracy > 0.5  # chance is 0.25


def test_c_is_chosen_on_train_only():
    train, train_labels, test, test_labels = _split()
    shuffled = np.random.default_rng(1).permutation(test_labels)
    for torch_threshold in (20_000, 0):  # scikit-learn path, torch path
        original = fit_linear_probe(
            train, train_labels, test, test_labels, c_grid=GRID, torch_threshold=torch_threshold
        )
        with_shuffled_test = fit_linear_probe(
            train, train_labels, test, shuffled, c_grid=GRID, torch_threshold=torch_threshold
        )
        with_other_test = fit_linear_probe(
            train, train_labels, -test, test_labels, c_grid=GRID, torch_threshold=torch_threshold
        )
        assert original.c == with_shuffled_test.c == with_other_test.c
        np.testing.assert_array_equal(original.predictions, with_shuffled_test.predictions)


def test_softmax_regression_matches_sklearn_logistic_regression():
    train, train_labels, _, _ = _split()
    x = StandardScaler().fit_transform(train)
    c = 0.05
    reference = LogisticRegression(C=c, tol=1e-10, max_iter=10_000).fit(x, train_labels)
    weight, bias = fit_softmax_regression(
        torch.from_numpy(x), torch.from_numpy(train_labels), 4, weight_decay=1.0 / (c * x.shape[0])
    )
    # scikit-learn's multinomial model is defined up to a shift shared by all classes; compare centred.
    np.testing.assert_allclose(weight.T.numpy(), reference.coef_, atol=1e-4)
    np.testing.assert_allclose(
        bias.numpy() - bias.numpy().mean(), reference.intercept_ - reference.intercept_.mean(), atol=1e-4
    )


def test_torch_path_with_one_c_predicts_like_sklearn():
    train, train_labels, test, test_labels = _split()
    scaler = StandardScaler().fit(train)
    reference = LogisticRegression(C=0.1, max_iter=1000).fit(scaler.transform(train), train_labels)
    result = fit_linear_probe(
        torch.from_numpy(train).float(),
        train_labels,
        torch.from_numpy(test).float(),
        test_labels,
        c_grid=[0.1],
        torch_threshold=0,
    )
    expected = reference.predict(scaler.transform(test))
    assert (result.predictions == expected).mean() >= 0.99
    assert result.c == 0.1 and result.selection == "given (a single C)"
    assert "torch" in result.classifier


def test_torch_path_selects_on_held_out_slice_with_accuracy_close_to_sklearn():
    train, train_labels, test, test_labels = _split(rows=900, train_rows=800)
    sklearn_result = fit_linear_probe(train, train_labels, test, test_labels, c_grid=GRID)
    torch_result = fit_linear_probe(train, train_labels, test, test_labels, c_grid=GRID, torch_threshold=500)
    assert torch_result.selection == "held-out 10% of train"
    assert torch_result.c in GRID
    assert abs(torch_result.accuracy - sklearn_result.accuracy) <= 0.05


def test_arbitrary_label_values_are_returned_as_given():
    train, train_labels, test, test_labels = _split()
    names = np.array([10, -3, 42, 7])
    for torch_threshold in (20_000, 0):
        result = fit_linear_probe(
            train,
            names[train_labels],
            test,
            names[test_labels],
            c_grid=[1.0],
            torch_threshold=torch_threshold,
        )
        assert set(result.predictions.tolist()) <= set(names.tolist())
        assert result.accuracy == pytest.approx(float((result.predictions == names[test_labels]).mean()))


def test_single_example_class_falls_back_to_fixed_c():
    train, train_labels, test, test_labels = _split()
    train_labels = train_labels.copy()
    train_labels[0] = 9  # a class seen once
    result = fit_linear_probe(train, train_labels, test, test_labels, c_grid=GRID)
    assert result.c == FALLBACK_C
    assert "too few for CV" in result.selection


def test_folds_shrink_to_the_smallest_class():
    train, train_labels, test, test_labels = _split()
    keep = np.concatenate([np.flatnonzero(train_labels != 0), np.flatnonzero(train_labels == 0)[:3]])
    result = fit_linear_probe(train[keep], train_labels[keep], test, test_labels, c_grid=GRID)
    assert result.selection == "3-fold stratified CV on train"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"c_grid": []}, "c_grid must hold at least one finite number > 0"),
        ({"c_grid": [1.0, -1.0]}, "c_grid must hold at least one finite number > 0"),
        ({"cv_folds": 1}, "cv_folds must be an integer >= 2"),
        ({"validation_fraction": 1.0}, "validation_fraction must be in"),
        ({"train_labels": np.ones(300, dtype=int)}, "single class"),
        ({"test_labels": np.ones(99, dtype=int)}, "test_labels has 99 entries but the embeddings have 100"),
        ({"test_embeddings": np.ones((100, 4))}, "same embedding dimension"),
        ({"train_embeddings": np.ones(300)}, "must be 2-D"),
    ],
)
def test_bad_input_raises(change, message):
    train, train_labels, test, test_labels = _split()
    arguments = {
        "train_embeddings": train,
        "train_labels": train_labels,
        "test_embeddings": test,
        "test_labels": test_labels,
        **change,
    }
    with pytest.raises(ValueError, match=message):
        fit_linear_probe(**arguments)
