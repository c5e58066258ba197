import numpy as np
import pytest
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from mmcl.evaluation import fit_svm_probe
from mmcl.evaluation.svm import HARD_MARGIN_C, SVM_C_GRID
from tests.evaluation.clustered import clustered


def _split(rows=240, train_rows=150, classes=3, seed=0):
    x, y = clustered(rows, dim=8, classes=classes, spread=2.0, seed=seed)
    return x[:train_rows], y[:train_rows], x[train_rows:], y[train_rows:]


def test_matches_an_independent_grid_search_over_svc():
    train, train_labels, test, test_labels = _split()
    reference = GridSearchCV(SVC(kernel="rbf", gamma="scale"), {"C": list(SVM_C_GRID)}, cv=5).fit(
        train, train_labels
    )
    result = fit_svm_probe(torch.from_numpy(train), train_labels, torch.from_numpy(test), test_labels)
    assert result.c == reference.best_params_["C"]
    np.testing.assert_array_equal(result.predictions, reference.predict(test))
    assert result.accuracy == pytest.approx(reference.score(test, test_labels))
    assert result.selection == "5-fold stratified CV on train"


def test_too_small_train_split_fits_a_hard_margin_like_ts2vec():
    train, train_labels, test, test_labels = _split(train_rows=40)  # < 50 rows
    result = fit_svm_probe(train, train_labels, test, test_labels)
    assert result.c == HARD_MARGIN_C
    assert result.selection.startswith("fixed C=1e+06") and "too few for CV" in result.selection
    infinite_c = SVC(C=np.inf, kernel="rbf", gamma="scale").fit(train, train_labels)  # TS2Vec's fit_svm
    np.testing.assert_array_equal(result.predictions, infinite_c.predict(test))


def test_fewer_than_five_rows_per_class_on_average_skips_the_search():
    train, train_labels, test, test_labels = _split(rows=150, train_rows=60, classes=15)  # 60 // 15 = 4
    assert "too few for CV" in fit_svm_probe(train, train_labels, test, test_labels).selection


def test_logistic_option_matches_an_independent_grid_search():
    train, train_labels, test, test_labels = _split()
    grid = [0.01, 1.0, 100.0]
    reference = GridSearchCV(
        make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)),
        {"logisticregression__C": grid},
        cv=5,
    ).fit(train, train_labels)
    result = fit_svm_probe(train, train_labels, test, test_labels, classifier="logistic", c_grid=grid)
    assert result.c == reference.best_params_["logisticregression__C"]
    np.testing.assert_array_equal(result.predictions, reference.predict(test))


def test_large_train_split_is_subsampled_stratified_before_the_search():
    train, train_labels, test, test_labels = _split()
    grid = [0.1, 10.0]
    subset, _, subset_labels, _ = train_test_split(
        train, train_labels, train_size=90, random_state=3, stratify=train_labels
    )
    reference = GridSearchCV(SVC(kernel="rbf", gamma="scale"), {"C": grid}, cv=5).fit(subset, subset_labels)
    result = fit_svm_probe(train, train_labels, test, test_labels, c_grid=grid, max_train_rows=90, seed=3)
    assert result.selection.endswith("(subsampled to 90 rows)")
    np.testing.assert_array_equal(result.predictions, reference.predict(test))


def test_c_is_chosen_on_train_only():
    train, train_labels, test, test_labels = _split()
    grid = [0.01, 1.0, 100.0]
    shuffled = np.random.default_rng(0).permutation(test_labels)
    original = fit_svm_probe(train, train_labels, test, test_labels, c_grid=grid)
    assert fit_svm_probe(train, train_labels, test, shuffled, c_grid=grid).c == original.c


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"classifier": "rbf"}, "classifier must be 'svm' or 'logistic'"),
        ({"c_grid": [0.0]}, "c_grid must hold at least one finite number > 0"),
        ({"cv_folds": 1}, "cv_folds must be an integer >= 2"),
        ({"train_labels": np.zeros(150, dtype=int)}, "single class"),
        (
            {"train_labels": np.zeros(10, dtype=int)},
            "train_labels has 10 entries but the embeddings have 150",
        ),
        ({"test_embeddings": np.ones((90, 3))}, "same embedding dimension"),
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
        fit_svm_probe(**arguments)
