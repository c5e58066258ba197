import pytest
import torch

from mmcl.losses import BYOLLoss, byol_loss


def test_matches_normalised_squared_distance():
    p, t = torch.randn(6, 5, dtype=torch.float64), torch.randn(6, 5, dtype=torch.float64)
    unit_p = p / p.norm(dim=1, keepdim=True)
    unit_t = t / t.norm(dim=1, keepdim=True)
    expected = (unit_p - unit_t).pow(2).sum(1).mean()  # = 2 - 2 cos
    torch.testing.assert_close(byol_loss(p, t), expected)
    torch.testing.assert_close(BYOLLoss()(p, t), expected)


def test_identical_is_zero_and_opposite_is_four():
    x = torch.randn(3, 4)
    assert byol_loss(x, 2 * x).item() == pytest.approx(0.0, abs=1e-6)
    assert byol_loss(x, -x).item() == pytest.approx(4.0, abs=1e-6)


def test_gradcheck():
    p = torch.randn(3, 4, dtype=torch.float64, requires_grad=True)
    t = torch.randn(3, 4, dtype=torch.float64)
    assert torch.autograd.gradcheck(lambda x: byol_loss(x, t), (p,))


def test_bad_input():
    with pytest.raises(ValueError, match="prediction and target must have the same shape"):
        byol_loss(torch.randn(3, 4), torch.randn(3, 5))
    with pytest.raises(ValueError, match="target holds 1 NaN"):
        byol_loss(torch.randn(2, 2), torch.tensor([[1.0, float("nan")], [1.0, 2.0]]))
