import pytest
import torch
import torch.nn.functional as F

from mmcl.losses import hierarchical_contrastive_loss


def _pair_loop(views_a, views_b):
    """For lists of N vectors: each of the 2N vectors against the other 2N - 1 (dot products)."""
    z = views_a + views_b
    n = len(views_a)
    losses = []
    for i in range(2 * n):
        others = [j for j in range(2 * n) if j != i]
        logits = torch.stack([z[i] @ z[j] for j in others])
        positive = z[i] @ z[(i + n) % (2 * n)]
        losses.append(torch.logsumexp(logits, 0) - positive)
    return torch.stack(losses).mean()


def _reference(z1, z2, alpha, temporal_unit):
    """The TS2Vec algorithm written with loops over timestamps and samples."""
    total, depth = 0.0, 0
    while True:
        batch, time, _ = z1.shape
        instance = (
            torch.stack([_pair_loop(list(z1[:, t]), list(z2[:, t])) for t in range(time)]).mean()
            if batch > 1
            else torch.tensor(0.0, dtype=z1.dtype)
        )
        if time == 1:
            total += alpha * instance
            depth += 1
            return total / depth
        temporal = torch.stack([_pair_loop(list(z1[s]), list(z2[s])) for s in range(batch)]).mean()
        total += alpha * instance + ((1 - alpha) * temporal if depth >= temporal_unit else 0.0)
        depth += 1
        z1 = F.max_pool1d(z1.transpose(1, 2), 2).transpose(1, 2)
        z2 = F.max_pool1d(z2.transpose(1, 2), 2).transpose(1, 2)


@pytest.mark.parametrize(
    ("time", "alpha", "temporal_unit"), [(7, 0.5, 0), (8, 0.3, 1), (1, 0.5, 0), (5, 1.0, 0)]
)
def test_matches_loop_reference(time, alpha, temporal_unit):
    z1, z2 = torch.randn(3, time, 4, dtype=torch.float64), torch.randn(3, time, 4, dtype=torch.float64)
    expected = _reference(z1, z2, alpha, temporal_unit)
    actual = hierarchical_contrastive_loss(z1, z2, alpha=alpha, temporal_unit=temporal_unit)
    torch.testing.assert_close(actual, torch.as_tensor(expected, dtype=torch.float64))


def test_single_sample_uses_temporal_term_only():
    z1, z2 = torch.randn(1, 6, 4, dtype=torch.float64), torch.randn(1, 6, 4, dtype=torch.float64)
    torch.testing.assert_close(hierarchical_contrastive_loss(z1, z2), _reference(z1, z2, 0.5, 0))


def test_gradcheck():
    z1 = torch.randn(2, 5, 3, dtype=torch.float64, requires_grad=True)
    z2 = torch.randn(2, 5, 3, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(hierarchical_contrastive_loss, (z1, z2))


def test_bf16_autocast_finite():
    layer = torch.nn.Linear(4, 16)
    x = torch.randn(4, 32, 4)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        loss = hierarchical_contrastive_loss(layer(x), layer(x + 1e-3))
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(layer.weight.grad).all()


def test_bad_input():
    with pytest.raises(ValueError, match="z1 must have 3 dimensions"):
        hierarchical_contrastive_loss(torch.randn(2, 3), torch.randn(2, 3))
    with pytest.raises(ValueError, match="z1 and z2 must have the same shape"):
        hierarchical_contrastive_loss(torch.randn(2, 3, 4), torch.randn(2, 4, 4))
    with pytest.raises(ValueError, match="alpha must be in"):
        hierarchical_contrastive_loss(torch.randn(2, 3, 4), torch.randn(2, 3, 4), alpha=2.0)
