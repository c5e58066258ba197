import pytest
import torch

from mmcl.losses import TripletLoss, mined_triplet_loss, triplet_loss
from tests.losses.naive import mined_triplet_loop, triplet_loop


@pytest.mark.parametrize("distance", ["cosine", "euclidean"])
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_triplet_matches_loop(distance, dtype):
    a, p, n = torch.randn(3, 7, 5, dtype=dtype).unbind()
    expected = triplet_loop(a.double(), p.double(), n.double(), 0.3, distance)
    actual = triplet_loss(a, p, n, margin=0.3, distance=distance)
    torch.testing.assert_close(actual.double(), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("mining", ["batch_all", "batch_hard", "semi_hard"])
@pytest.mark.parametrize("distance", ["cosine", "euclidean"])
def test_mined_matches_loop(mining, distance):
    x = torch.randn(10, 4, dtype=torch.float64)
    labels = torch.tensor([0, 0, 1, 1, 1, 2, 2, 3, 0, 2])
    expected = mined_triplet_loop(x, labels, 0.5, mining, distance)
    actual = mined_triplet_loss(x, labels, margin=0.5, mining=mining, distance=distance)
    torch.testing.assert_close(actual, expected)


@pytest.mark.parametrize("mining", ["batch_all", "batch_hard", "semi_hard"])
def test_mined_gradcheck(mining):
    x = torch.randn(6, 3, dtype=torch.float64, requires_grad=True)
    labels = torch.tensor([0, 0, 1, 1, 2, 2])
    assert torch.autograd.gradcheck(
        lambda e: mined_triplet_loss(e, labels, margin=1.0, mining=mining, distance="euclidean"), (x,)
    )


def test_triplet_gradcheck():
    a, p, n = (torch.randn(4, 3, dtype=torch.float64, requires_grad=True) for _ in range(3))
    assert torch.autograd.gradcheck(lambda *t: triplet_loss(*t, margin=1.0, distance="euclidean"), (a, p, n))


def test_euclidean_identical_points_have_finite_gradient():
    x = torch.ones(4, 3, requires_grad=True)
    labels = torch.tensor([0, 0, 1, 1])
    mined_triplet_loss(x, labels, mining="batch_hard", distance="euclidean").backward()
    assert torch.isfinite(x.grad).all()


def test_batch_without_triplets_gives_connected_zero():
    x = torch.randn(4, 3, requires_grad=True)
    loss = mined_triplet_loss(x, torch.tensor([0, 1, 2, 3]), mining="batch_all")
    loss.backward()
    assert loss.item() == 0 and x.grad is not None


def test_module_forms():
    a, p, n = torch.randn(3, 8, 4).unbind()
    torch.testing.assert_close(TripletLoss(0.2)(a, p, n), triplet_loss(a, p, n, margin=0.2))
    labels = torch.randint(0, 2, (8,))
    torch.testing.assert_close(
        TripletLoss(0.2, mining="semi_hard")(a, labels),
        mined_triplet_loss(a, labels, margin=0.2, mining="semi_hard"),
    )


def test_bad_input():
    with pytest.raises(ValueError, match="distance must be"):
        triplet_loss(*torch.randn(3, 2, 2).unbind(), distance="manhattan")
    with pytest.raises(ValueError, match="margin must be"):
        triplet_loss(*torch.randn(3, 2, 2).unbind(), margin=-1)
    with pytest.raises(ValueError, match="mining must be"):
        mined_triplet_loss(torch.randn(4, 2), torch.arange(4), mining="hardest")
    with pytest.raises(ValueError, match="anchor and negative must have the same shape"):
        triplet_loss(torch.randn(2, 2), torch.randn(2, 2), torch.randn(3, 2))
