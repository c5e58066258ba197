import math

import numpy as np
import pytest
import torch
from sklearn.metrics import ndcg_score

from mmcl.evaluation import retrieval_metrics


def _on_circle(*angles):
    angles = np.asarray(angles, dtype=np.float64)
    return np.stack([np.cos(angles), np.sin(angles)], axis=1)


def test_hand_made_ranking_with_two_relevant_rows():
    # Query at angle 0; ranking by cosine: row 2 (0.0), row 0 (0.3), row 3 (0.6), row 1 (1.2). Relevant: 0, 1.
    corpus = _on_circle(0.3, 1.2, 0.0, 0.6)
    metrics = retrieval_metrics(_on_circle(0.0), corpus, relevant=[[0, 1]], ks=(1, 2, 4))
    best = 1 + 1 / math.log2(3)
    assert metrics == pytest.approx(
        {
            "recall@1": 0.0,
            "recall@2": 0.5,
            "recall@4": 1.0,
            "mrr": 0.5,
            "ndcg@1": 0.0,
            "ndcg@2": (1 / math.log2(3)) / best,
            "ndcg@4": (1 / math.log2(3) + 1 / math.log2(5)) / best,
        }
    )


def test_hand_made_single_relevant_rows_average_over_queries():
    corpus = _on_circle(0.0, 1.0, 2.0)
    queries = _on_circle(0.1, 1.9)  # query 0 ranks 0, 1, 2; query 1 ranks 2, 1, 0
    metrics = retrieval_metrics(queries, corpus, relevant=torch.tensor([1, 0]), ks=(1, 2, 3))
    assert metrics["recall@1"] == 0.0
    assert metrics["recall@2"] == 0.5
    assert metrics["recall@3"] == 1.0
    assert metrics["mrr"] == pytest.approx((1 / 2 + 1 / 3) / 2)


def _random_case(queries=40, corpus=60, seed=0):
    rng = np.random.default_rng(seed)
    q, c = rng.normal(size=(queries, 8)), rng.normal(size=(corpus, 8))
    relevant = [rng.choice(corpus, size=rng.integers(1, 5), replace=False).tolist() for _ in range(queries)]
    return q, c, relevant


def _cosine(q, c):
    return (q / np.linalg.norm(q, axis=1, keepdims=True)) @ (c / np.linalg.norm(c, axis=1, keepdims=True)).T


@pytest.mark.parametrize("k", [1, 3, 10, 60])
def test_ndcg_matches_sklearn(k):
    q, c, relevant = _random_case()
    truth = np.zeros((len(q), len(c)))
    for row, ids in enumerate(relevant):
        truth[row, ids] = 1
    expected = ndcg_score(truth, _cosine(q, c), k=k)
    assert retrieval_metrics(q, c, relevant, ks=(k,))[f"ndcg@{k}"] == pytest.approx(expected)


def test_recall_and_mrr_match_a_loop_over_queries():
    q, c, relevant = _random_case()
    scores = _cosine(q, c)
    recall = {k: [] for k in (1, 5, 10)}
    reciprocal_ranks = []
    for row, ids in enumerate(relevant):
        ranking = list(np.argsort(-scores[row]))
        for k in recall:
            recall[k].append(len(set(ranking[:k]) & set(ids)) / len(ids))
        reciprocal_ranks.append(1 / (min(ranking.index(i) for i in ids) + 1))
    metrics = retrieval_metrics(torch.from_numpy(q), torch.from_numpy(c), relevant, chunk_size=7)
    for k, values in recall.items():
        assert metrics[f"recall@{k}"] == pytest.approx(np.mean(values))
    assert metrics["mrr"] == pytest.approx(np.mean(reciprocal_ranks))


def test_k_beyond_the_corpus_ranks_the_whole_corpus():
    q, c, relevant = _random_case(corpus=6, seed=1)
    relevant = [[i % 6 for i in ids] for ids in relevant]
    metrics = retrieval_metrics(q, c, relevant, ks=(6, 50))
    assert metrics["recall@50"] == metrics["recall@6"] == 1.0
    assert metrics["ndcg@50"] == pytest.approx(metrics["ndcg@6"])


def test_chunking_does_not_change_the_result():
    q, c, relevant = _random_case()
    assert retrieval_metrics(q, c, relevant, chunk_size=1) == pytest.approx(retrieval_metrics(q, c, relevant))


@pytest.mark.parametrize(
    ("relevant", "ks", "message"),
    [
        ([0, 1], (1,), "relevant has 2 entries but there are 3 queries"),
        ([0, [], 1], (1,), r"relevant\[1\] is empty"),
        ([0, 5, 1], (1,), r"relevant\[1\] = \[5\] indexes outside the corpus of 4 rows"),
        ([0, -1, 1], (1,), "indexes outside the corpus"),
        ([0, 0.5, 1], (1,), "must hold integer corpus indices"),
        ([0, 1, 2], (0,), "ks must be positive integers"),
        ([0, 1, 2], (), "ks must be positive integers"),
    ],
)
def test_bad_input_raises(relevant, ks, message):
    with pytest.raises(ValueError, match=message):
        retrieval_metrics(np.ones((3, 2)), np.eye(4, 2), relevant, ks=ks)


def test_mismatched_dimensions_raise():
    with pytest.raises(ValueError, match="same embedding dimension"):
        retrieval_metrics(np.ones((3, 2)), np.ones((4, 3)), [0, 1, 2])
