"""The text evaluation suite against scipy, scikit-learn, sentence-transformers and naive loops."""

import itertools

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from scipy.stats import pearsonr, spearmanr
from sentence_transformers import SentenceTransformer
from sentence_transformers.sentence_transformer.evaluation import BinaryClassificationEvaluator
from sklearn.metrics import accuracy_score, f1_score

from mmcl.adapters.text import (
    ColumnMapping,
    TextDataSource,
    TextEvaluation,
    TextEvaluationSuite,
    best_threshold,
    classification_scores,
)
from tests.adapters.text.conftest import SENTENCES
from tests.adapters.text.test_data_source import write_csv


def naive_best_threshold(similarities, labels):
    """Try every midpoint between distinct similarities (and beyond both ends); keep the most accurate."""
    values = sorted(set(similarities.tolist()))
    candidates = [values[0] - 1, values[-1] + 1] + [(a + b) / 2 for a, b in itertools.pairwise(values)]
    return max(float(np.mean((similarities >= t) == (labels == 1))) for t in candidates)


def test_best_threshold_matches_an_exhaustive_search_and_sentence_transformers():
    generator = np.random.default_rng(0)
    for _ in range(20):
        labels = generator.integers(0, 2, 60)
        similarities = np.round(generator.normal(labels * 0.3, 0.3), 2)  # rounding makes ties
        threshold, accuracy = best_threshold(similarities, labels)
        assert accuracy == pytest.approx(naive_best_threshold(similarities, labels))
        assert float(np.mean((similarities >= threshold) == (labels == 1))) == pytest.approx(accuracy)
        st_accuracy, _ = BinaryClassificationEvaluator.find_best_acc_and_threshold(similarities, labels, True)
        assert accuracy == pytest.approx(st_accuracy)


def test_classification_scores_match_scikit_learn():
    generator = np.random.default_rng(1)
    similarities, labels = generator.random(50), generator.integers(0, 2, 50)
    scores = classification_scores(similarities, labels, 0.4)
    predicted = (similarities >= 0.4).astype(int)
    assert scores["accuracy"] == pytest.approx(accuracy_score(labels, predicted))
    assert scores["f1"] == pytest.approx(f1_score(labels, predicted))


@pytest.fixture
def model(tiny_model_dir):
    return SentenceTransformer(str(tiny_model_dir), device="cpu")


def pairs_file(path, rows):
    return write_csv(path, [["a", "b", "s"], *rows])


def source(path):
    return TextDataSource(path=str(path), columns=ColumnMapping(anchor="a", positive="b", score="s"))


def cosines(model, first, second):
    a, b = model.encode(first, convert_to_tensor=True), model.encode(second, convert_to_tensor=True)
    return F.cosine_similarity(a, b).numpy()


def test_sts_matches_scipy(model, tmp_path):
    rows = [[SENTENCES[i], SENTENCES[(i * 5 + 3) % 16], str(i % 6)] for i in range(16)]
    suite = TextEvaluationSuite(
        [TextEvaluation(task="sts", data=source(pairs_file(tmp_path / "sts.csv", rows)))]
    )
    metrics = suite(model)
    similarity = cosines(model, [r[0] for r in rows], [r[1] for r in rows])
    gold = [float(r[2]) for r in rows]
    assert metrics["sts/spearman"] == pytest.approx(spearmanr(similarity, gold).statistic, abs=1e-6)
    assert metrics["sts/pearson"] == pytest.approx(pearsonr(similarity, gold).statistic, abs=1e-5)


def test_retrieval_groups_a_querys_positives(model, tmp_path):
    # SENTENCES[0] is paired twice: both its positives are relevant to it
    rows = [
        [SENTENCES[0], SENTENCES[1], "5"],
        [SENTENCES[2], SENTENCES[3], "5"],
        [SENTENCES[0], SENTENCES[6], "4"],
    ]
    rows += [[SENTENCES[i], SENTENCES[i + 1], "4"] for i in range(8, 14, 2)]
    evaluation = TextEvaluation(
        task="retrieval", name="r", data=source(pairs_file(tmp_path / "r.csv", rows)), ks=[1, 2]
    )
    metrics = TextEvaluationSuite([evaluation])(model)
    queries = list(dict.fromkeys(r[0] for r in rows))
    corpus = list(dict.fromkeys(r[1] for r in rows))
    query_embeddings = F.normalize(model.encode(queries, convert_to_tensor=True), dim=1)
    scores = query_embeddings @ F.normalize(model.encode(corpus, convert_to_tensor=True), dim=1).T
    recall_at_1, reciprocal_ranks = [], []
    for q, query in enumerate(queries):
        relevant = {corpus.index(r[1]) for r in rows if r[0] == query}
        ranking = torch.argsort(scores[q], descending=True).tolist()
        recall_at_1.append(len(relevant & set(ranking[:1])) / len(relevant))
        reciprocal_ranks.append(1 / (1 + min(ranking.index(i) for i in relevant)))
    assert metrics["r/recall@1"] == pytest.approx(np.mean(recall_at_1))
    assert metrics["r/mrr"] == pytest.approx(np.mean(reciprocal_ranks))
    assert set(metrics) == {"r/recall@1", "r/recall@2", "r/mrr", "r/ndcg@1", "r/ndcg@2"}


def test_paraphrase_threshold_comes_from_dev(model, tmp_path):
    dev_rows = [[SENTENCES[i], SENTENCES[i + 1], str(i % 2)] for i in range(0, 14, 1)]
    test_rows = [[SENTENCES[i], SENTENCES[15 - i], str((i + 1) % 2)] for i in range(8)]
    evaluation = TextEvaluation(
        task="paraphrase",
        name="p",
        data=source(pairs_file(tmp_path / "t.csv", test_rows)),
        dev=source(pairs_file(tmp_path / "d.csv", dev_rows)),
    )
    metrics = TextEvaluationSuite([evaluation])(model)
    dev_similarity = cosines(model, [r[0] for r in dev_rows], [r[1] for r in dev_rows])
    threshold, _ = best_threshold(dev_similarity, np.array([int(r[2]) for r in dev_rows]))
    test_similarity = cosines(model, [r[0] for r in test_rows], [r[1] for r in test_rows])
    labels = np.array([int(r[2]) for r in test_rows])
    assert metrics["p/accuracy"] == pytest.approx(accuracy_score(labels, test_similarity >= threshold))
    assert metrics["p/f1"] == pytest.approx(f1_score(labels, test_similarity >= threshold))


def test_paraphrase_labels_must_be_binary(model, tmp_path):
    rows = [[SENTENCES[i], SENTENCES[i + 1], "3"] for i in range(4)]
    path = pairs_file(tmp_path / "p.csv", rows)
    evaluation = TextEvaluation(task="paraphrase", data=source(path), dev=source(path))
    with pytest.raises(ValueError, match="paraphrase labels must be 0 or 1"):
        TextEvaluationSuite([evaluation])(model)


def test_evaluations_are_checked_when_the_recipe_is_read(tmp_path):
    path = pairs_file(tmp_path / "p.csv", [["x", "y", "1"]])
    no_scores = TextDataSource(path=str(path), columns=ColumnMapping(anchor="a", positive="b"))
    with pytest.raises(ValueError, match="sts evaluation needs the gold similarity score"):
        TextEvaluation(task="sts", data=no_scores)
    with pytest.raises(ValueError, match="chooses its cosine threshold on labelled dev pairs"):
        TextEvaluation(task="paraphrase", data=source(path))
    with pytest.raises(ValueError, match="must differ"):
        TextEvaluationSuite([TextEvaluation(task="sts", data=source(path))] * 2)
