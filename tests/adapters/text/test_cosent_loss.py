"""The core CoSENT loss against a naive double loop and against sentence-transformers' ``CoSENTLoss``."""

import math

import pytest
import torch
import torch.nn.functional as F
from sentence_transformers import SentenceTransformer
from sentence_transformers.sentence_transformer.losses import CoSENTLoss as SentenceTransformersCoSENT

from mmcl.losses.cosent import CoSENTLoss, cosent_loss


def cosent_loop(a: torch.Tensor, b: torch.Tensor, scores: torch.Tensor, scale: float) -> torch.Tensor:
    """log(1 + sum over pairs (i, j) with s_i < s_j of exp(scale * (cos_i - cos_j))), term by term."""
    cosine = F.cosine_similarity(a, b, dim=-1) * scale
    terms = [torch.zeros((), dtype=a.dtype)]
    for i in range(len(scores)):
        for j in range(len(scores)):
            if scores[i] < scores[j]:
                terms.append(cosine[i] - cosine[j])
    return torch.logsumexp(torch.stack(terms), dim=0)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_matches_the_naive_loop_with_ties(dtype):
    a, b = torch.randn(12, 8, dtype=dtype), torch.randn(12, 8, dtype=dtype)
    scores = torch.tensor([0, 1, 1, 2, 5, 3, 3, 0.5, 4, 1, 5, 2.5], dtype=dtype)
    expected = cosent_loop(a.double(), b.double(), scores.double(), 20.0)
    torch.testing.assert_close(cosent_loss(a, b, scores).double(), expected, rtol=1e-5, atol=1e-5)


def test_gradients_match_the_naive_loop():
    a = torch.randn(9, 6, dtype=torch.float64, requires_grad=True)
    b = torch.randn(9, 6, dtype=torch.float64, requires_grad=True)
    scores = torch.tensor([3.0, 1, 4, 1, 5, 0, 2, 4, 2], dtype=torch.float64)
    cosent_loss(a, b, scores, scale=7.0).backward()
    fast = (a.grad.clone(), b.grad.clone())
    a.grad, b.grad = None, None
    cosent_loop(a, b, scores, 7.0).backward()
    torch.testing.assert_close(fast, (a.grad, b.grad))


def test_matches_sentence_transformers(tiny_model_dir):
    reference = SentenceTransformersCoSENT(SentenceTransformer(str(tiny_model_dir), device="cpu"), scale=20.0)
    a, b, scores = torch.randn(32, 16), torch.randn(32, 16), torch.rand(32) * 5
    torch.testing.assert_close(
        CoSENTLoss(20.0)(a, b, scores), reference.compute_loss_from_embeddings([a, b], scores)
    )


def test_binary_labels_and_all_equal_scores():
    a, b = torch.randn(6, 4), torch.randn(6, 4)
    labels = torch.tensor([1, 0, 1, 1, 0, 0])
    expected = cosent_loop(a.double(), b.double(), labels.double(), 20.0).float()
    torch.testing.assert_close(cosent_loss(a, b, labels), expected)
    assert float(cosent_loss(a, b, torch.full((6,), 3.0))) == 0.0  # nothing to rank: log(1)


def test_stays_finite_for_extreme_similarities():
    a = torch.randn(5, 4)
    loss = cosent_loss(a, -a, torch.arange(5.0), scale=1e4)
    assert math.isfinite(float(loss)) and float(loss) > 0


@pytest.mark.parametrize(
    ("scores", "message"),
    [
        (torch.rand(5), "one per pair"),
        (torch.tensor([1.0, float("nan"), 2, 3, 4, 5]), "NaN"),
        (torch.rand(6, 1), "1-D"),
    ],
)
def test_bad_scores_are_named(scores, message):
    with pytest.raises(ValueError, match=message):
        cosent_loss(torch.randn(6, 4), torch.randn(6, 4), scores)


def test_bad_scale_and_shapes_fail():
    with pytest.raises(ValueError, match="scale"):
        cosent_loss(torch.randn(3, 4), torch.randn(3, 4), torch.rand(3), scale=0.0)
    with pytest.raises(ValueError, match="same shape"):
        cosent_loss(torch.randn(3, 4), torch.randn(2, 4), torch.rand(3))
