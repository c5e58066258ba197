"""The text methods against sentence-transformers' losses and naive loops, GradCache against chunk-by-chunk
encoding with the whole graph kept."""

import pytest
import torch
import torch.nn.functional as F
from sentence_transformers.sentence_transformer.losses import (
    CoSENTLoss,
    MultipleNegativesRankingLoss,
    TripletLoss,
)
from sentence_transformers.sentence_transformer.losses.triplet import TripletDistanceMetric

from mmcl.adapters.text import TextCollator, TextCoSENT, TextInfoNCE, TextMoCo, TextTriplet
from mmcl.gradcache import split_batch
from mmcl.losses import info_nce
from mmcl.methods import build_method
from tests.adapters.text.conftest import SENTENCES

PAIRS = [  # eight texts in pairs; hard negatives from the other eight
    {
        "anchor": SENTENCES[0],
        "positive": SENTENCES[1],
        "negatives": [SENTENCES[8], SENTENCES[9]],
        "score": 4.8,
    },
    {
        "anchor": SENTENCES[2],
        "positive": SENTENCES[3],
        "negatives": [SENTENCES[10], SENTENCES[11]],
        "score": 4.1,
    },
    {
        "anchor": SENTENCES[5],
        "positive": SENTENCES[6],
        "negatives": [SENTENCES[12], SENTENCES[13]],
        "score": 3.6,
    },
    {
        "anchor": SENTENCES[4],
        "positive": SENTENCES[7],
        "negatives": [SENTENCES[14], SENTENCES[15]],
        "score": 0.4,
    },
]
MORE_PAIRS = [{"anchor": SENTENCES[i], "positive": SENTENCES[i + 1]} for i in range(8, 16, 2)]


def views(encoder, rows, keep=("anchor", "positive", "negatives", "score")):
    batch = TextCollator(encoder.tokenize, max_length=32)(
        [{k: v for k, v in row.items() if k in keep} for row in rows]
    )
    return batch["a"], batch["b"]


def embed(encoder, texts):
    return encoder(encoder.tokenize(texts, max_length=32))


@pytest.fixture
def st_model(encoder):
    return encoder.model


@pytest.mark.parametrize("with_negatives", [False, True])
def test_infonce_equals_multiple_negatives_ranking_loss(encoder, st_model, with_negatives):
    encoder.eval()  # no dropout: both sides see the same embeddings
    keep = ("anchor", "positive", "negatives") if with_negatives else ("anchor", "positive")
    loss, logs = TextInfoNCE(encoder, 32, temperature=0.05)(*views(encoder, PAIRS, keep))
    columns = [[row["anchor"] for row in PAIRS], [row["positive"] for row in PAIRS]]
    if with_negatives:
        columns += [[row["negatives"][m] for row in PAIRS] for m in range(2)]
    reference = MultipleNegativesRankingLoss(st_model, scale=20.0)
    expected = reference.compute_loss_from_embeddings([embed(encoder, column) for column in columns], None)
    torch.testing.assert_close(loss, expected, rtol=1e-5, atol=1e-6)
    assert float(logs["rows_sharing_a_text"]) == 0


def test_symmetric_infonce_equals_the_symmetric_ranking_loss(encoder, st_model):
    encoder.eval()
    loss, _ = TextInfoNCE(encoder, 32, temperature=0.05, symmetric=True)(
        *views(encoder, PAIRS, ("anchor", "positive"))
    )
    columns = [[row["anchor"] for row in PAIRS], [row["positive"] for row in PAIRS]]
    reference = MultipleNegativesRankingLoss(
        st_model, scale=20.0, directions=("query_to_doc", "doc_to_query"), partition_mode="per_direction"
    )  # sentence-transformers' MultipleNegativesSymmetricRankingLoss
    expected = reference.compute_loss_from_embeddings([embed(encoder, column) for column in columns], None)
    torch.testing.assert_close(loss, expected, rtol=1e-5, atol=1e-6)


def test_repeated_texts_are_positives_not_negatives(encoder):
    """Rows 0 and 2 share their anchor; row 3's positive is row 1's anchor: a naive multi-positive loop."""
    rows = [
        {"anchor": SENTENCES[0], "positive": SENTENCES[1]},
        {"anchor": SENTENCES[2], "positive": SENTENCES[3]},
        {"anchor": SENTENCES[0], "positive": SENTENCES[4]},
        {"anchor": SENTENCES[5], "positive": SENTENCES[2]},
        {"anchor": SENTENCES[6], "positive": SENTENCES[7]},
    ]
    encoder.eval()
    loss, logs = TextInfoNCE(encoder, 32, temperature=0.1)(*views(encoder, rows))
    queries = F.normalize(embed(encoder, [r["anchor"] for r in rows]).double(), dim=-1)
    keys = F.normalize(embed(encoder, [r["positive"] for r in rows]).double(), dim=-1)
    groups = [{0, 2}, {1, 3}, {0, 2}, {1, 3}, {4}]
    expected = 0.0
    for i in range(len(rows)):
        log_softmax = torch.log_softmax(queries[i] @ keys.T / 0.1, dim=0)
        expected += -torch.stack([log_softmax[j] for j in groups[i]]).mean()
    torch.testing.assert_close(loss.double(), expected / len(rows), rtol=1e-5, atol=1e-6)
    assert float(logs["rows_sharing_a_text"]) == 4


def test_a_hard_negative_repeating_a_rows_text_is_that_rows_positive(encoder):
    """Row 0's second hard negative is row 1's positive: for row 1's anchor it is a second positive."""
    rows = [dict(PAIRS[0], negatives=[SENTENCES[8], SENTENCES[3]]), PAIRS[1]]
    encoder.eval()
    loss, _ = TextInfoNCE(encoder, 32, temperature=0.1)(
        *views(encoder, rows, ("anchor", "positive", "negatives"))
    )
    queries = F.normalize(embed(encoder, [r["anchor"] for r in rows]).double(), dim=-1)
    candidates = [r["positive"] for r in rows] + [n for r in rows for n in r["negatives"]]
    keys = F.normalize(embed(encoder, candidates).double(), dim=-1)  # 0, 1: positives; 2..5: negatives
    positives = [[0], [1, 3]]
    expected = 0.0
    for i, columns in enumerate(positives):
        log_softmax = torch.log_softmax(queries[i] @ keys.T / 0.1, dim=0)
        expected += -torch.stack([log_softmax[j] for j in columns]).mean()
    torch.testing.assert_close(loss.double(), expected / len(rows), rtol=1e-5, atol=1e-6)


def test_learnable_temperature_gets_a_gradient(encoder):
    method = TextInfoNCE(encoder, 32, temperature=0.07, learnable_temperature=True)
    loss, logs = method(*views(encoder, PAIRS, ("anchor", "positive")))
    loss.backward()
    assert method.criterion.temperature.log_temperature.grad is not None
    torch.testing.assert_close(logs["temperature"], torch.tensor(0.07))


def test_cosent_equals_sentence_transformers(encoder, st_model):
    encoder.eval()
    loss, _ = TextCoSENT(encoder, 32, scale=20.0)(*views(encoder, PAIRS, ("anchor", "positive", "score")))
    reference = CoSENTLoss(st_model, scale=20.0)
    first, second = (
        embed(encoder, [r["anchor"] for r in PAIRS]),
        embed(encoder, [r["positive"] for r in PAIRS]),
    )
    expected = reference.compute_loss_from_embeddings(
        [first, second], torch.tensor([r["score"] for r in PAIRS])
    )
    torch.testing.assert_close(loss, expected, rtol=1e-5, atol=1e-6)


def test_cosent_without_scores_says_what_the_data_lacks(encoder):
    with pytest.raises(ValueError, match=r"text-cosent needs `scores`.*columns.score"):
        TextCoSENT(encoder, 32)(*views(encoder, PAIRS, ("anchor", "positive")))


def test_triplet_equals_sentence_transformers(encoder, st_model):
    encoder.eval()
    loss, _ = TextTriplet(encoder, 32, margin=0.3)(*views(encoder, PAIRS))
    reference = TripletLoss(st_model, distance_metric=TripletDistanceMetric.COSINE, triplet_margin=0.3)
    anchors, positives = [r["anchor"] for r in PAIRS], [r["positive"] for r in PAIRS]
    # each row with each of its negatives
    triplets = [embed(encoder, [t for t in texts for _ in range(2)]) for texts in (anchors, positives)]
    triplets.append(embed(encoder, [n for r in PAIRS for n in r["negatives"]]))
    torch.testing.assert_close(
        loss, reference.compute_loss_from_embeddings(triplets, None), rtol=1e-5, atol=1e-6
    )


def parameter_gradients(module):
    return {name: p.grad.clone() for name, p in module.named_parameters() if p.grad is not None}


def test_gradcache_gives_the_uncached_gradients_without_dropout(encoder):
    encoder.eval()
    rows = PAIRS * 2
    loss, _ = TextInfoNCE(encoder, 32, gradcache_chunk_size=3)(
        *views(encoder, rows, ("anchor", "positive", "negatives"))
    )
    loss.backward()
    cached = parameter_gradients(encoder)
    encoder.zero_grad()
    uncached_loss, _ = TextInfoNCE(encoder, 32)(*views(encoder, rows, ("anchor", "positive", "negatives")))
    uncached_loss.backward()
    torch.testing.assert_close(loss, uncached_loss)
    uncached = parameter_gradients(encoder)
    assert cached.keys() == uncached.keys() and cached
    for name in cached:
        torch.testing.assert_close(cached[name], uncached[name], rtol=1e-4, atol=1e-6)


def trimmed(chunk):
    """A chunk cut to its longest row (right padding), as the text methods encode chunks."""
    width = int(chunk["attention_mask"].sum(dim=1).max())
    return {name: value[:, :width] for name, value in chunk.items()}


def test_gradcache_with_dropout_equals_chunk_by_chunk_encoding_with_the_whole_graph(encoder):
    encoder.train()
    view_a, view_b = views(encoder, PAIRS + MORE_PAIRS, ("anchor", "positive"))
    torch.manual_seed(7)
    loss, _ = TextInfoNCE(encoder, 32, temperature=0.05, gradcache_chunk_size=3)(view_a, view_b)
    loss.backward()
    ours = parameter_gradients(encoder)
    encoder.zero_grad()
    torch.manual_seed(7)  # the same chunks in the same order draw the same dropout masks
    tokens = [{k: v for k, v in view.items() if k in encoder.input_names} for view in (view_a, view_b)]
    query, key = (torch.cat([encoder(trimmed(chunk)) for chunk in split_batch(t, 3)]) for t in tokens)
    reference_loss = info_nce(query, key, temperature=0.05)
    reference_loss.backward()
    torch.testing.assert_close(loss.detach(), reference_loss.detach())
    reference = parameter_gradients(encoder)
    assert ours.keys() == reference.keys() and ours
    for name in ours:
        torch.testing.assert_close(ours[name], reference[name], rtol=1e-4, atol=1e-6)


def test_moco_queue_ema_and_false_negatives_in_the_queue(encoder):
    method = TextMoCo(encoder, 32, temperature=0.1, queue_size=16, momentum=0.5)
    method.train()
    assert not method.key_encoder.target.training  # keys without dropout
    first = views(encoder, PAIRS[:2], ("anchor", "positive"))
    method(*first)
    method.on_step_end(0)
    assert len(method.queue) == 2 and int(method.key_encoder.last_step) == 0
    # The second batch holds row 0's pair again: its queued key is the same text, so it is a positive.
    rows = [PAIRS[0], PAIRS[2], PAIRS[3]]
    view_a, view_b = views(encoder, rows, ("anchor", "positive"))
    state = torch.get_rng_state()
    loss, logs = method(view_a, view_b)
    torch.set_rng_state(state)
    queries = F.normalize(embed(encoder, [r["anchor"] for r in rows]).double(), dim=-1)
    with torch.no_grad():
        keys = F.normalize(
            method.key_encoder(encoder.tokenize([r["positive"] for r in rows], max_length=32)).double(),
            dim=-1,
        )
    candidates = torch.cat([keys, method.queue.read().double()])  # queue: rows 0 and 1 of the first batch
    positives = [[0, 3], [1], [2]]
    expected = 0.0
    for i, columns in enumerate(positives):
        log_softmax = torch.log_softmax(queries[i] @ candidates.T / 0.1, dim=0)
        expected += -torch.stack([log_softmax[j] for j in columns]).mean()
    torch.testing.assert_close(loss.double(), expected / len(rows), rtol=1e-5, atol=1e-6)
    assert float(logs["queue_filled"]) == 2


def test_core_methods_run_on_text_views(encoder):
    view_a, view_b = views(encoder, PAIRS, ("anchor", "positive"))
    for name, options in (
        ("simclr", {"projection_dim": 8, "hidden_dim": 16}),
        ("moco", {"projection_dim": 8, "hidden_dim": 16, "queue_size": 8}),
    ):
        method = build_method(name, encoder, 32, **options)
        loss, _ = method(view_a, view_b)
        loss.backward()
        method.on_step_end(0)
        assert torch.isfinite(loss)
