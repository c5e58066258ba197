import numpy as np
import pytest
import torch
from scipy.stats import pearsonr, rankdata, spearmanr

from mmcl.evaluation import average_ranks, sts_correlation


def _pairs(rows=80, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(rows, 16))
    noise = rng.uniform(0.1, 3.0, size=rows)
    b = a + noise[:, None] * rng.normal(size=(rows, 16))
    gold = np.round(5 - noise * 1.5 + rng.normal(scale=0.5, size=rows))  # integer scores: many ties
    return a, b, gold


def _cosine(a, b):
    return (a * b).sum(axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


def test_matches_scipy_spearman_and_pearson_with_tied_gold_scores():
    a, b, gold = _pairs()
    assert np.unique(gold).size < gold.size  # ties are exercised
    result = sts_correlation(torch.from_numpy(a), torch.from_numpy(b), torch.from_numpy(gold))
    cosine = _cosine(a, b)
    assert result.spearman == pytest.approx(spearmanr(cosine, gold).statistic, abs=1e-12)
    assert result.pearson == pytest.approx(pearsonr(cosine, gold).statistic, abs=1e-6)
    assert result.spearman > 0.3


def test_average_ranks_match_scipy_rankdata():
    values = np.array([3.0, 1.0, 3.0, 2.0, 3.0, -1.0, 2.0])
    np.testing.assert_array_equal(average_ranks(values), rankdata(values))


def test_monotone_and_reversed_gold_scores_give_plus_and_minus_one():
    angles = np.linspace(0.0, 3.0, 10)
    a = np.tile([1.0, 0.0], (10, 1))
    b = np.stack([np.cos(angles), np.sin(angles)], axis=1)  # cosine falls with the angle
    assert sts_correlation(a, b, -angles).spearman == pytest.approx(1.0)
    assert sts_correlation(a, b, angles).spearman == pytest.approx(-1.0)


def test_identical_cosines_give_nan_not_an_error():
    a = np.ones((5, 3))
    assert np.isnan(sts_correlation(a, a, [1, 2, 3, 4, 5]).spearman)


@pytest.mark.parametrize(
    ("b", "gold", "message"),
    [
        (np.ones((4, 3)), [1, 2, 3, 4, 5], "must have the same shape"),
        (np.ones((5, 3)), [1, 2, 3], r"one score per pair \(5\)"),
        (np.ones((5, 3)), [2, 2, 2, 2, 2], "gold_scores are all equal"),
        (np.ones((5, 3)), [1, 2, np.nan, 4, 5], "NaN or infinite"),
    ],
)
def test_bad_input_raises(b, gold, message):
    with pytest.raises(ValueError, match=message):
        sts_correlation(np.random.default_rng(0).normal(size=(5, 3)), b, gold)


def test_a_single_pair_is_rejected():
    with pytest.raises(ValueError, match="at least two pairs"):
        sts_correlation(np.ones((1, 3)), np.ones((1, 3)), [1.0])
