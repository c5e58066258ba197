import pytest
import torch
from pytorch_metric_learning.losses import NTXentLoss as PMLNTXentLoss

from mmcl.losses import NTXentLoss, nt_xent
from tests.losses.naive import nt_xent_loop


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_matches_loop(dtype):
    a, b = torch.randn(5, 7, dtype=dtype), torch.randn(5, 7, dtype=dtype)
    torch.testing.assert_close(
        nt_xent(a, b, temperature=0.5).double(),
        nt_xent_loop(a.double(), b.double(), 0.5),
        rtol=1e-5,
        atol=1e-6,
    )


@pytest.mark.parametrize("temperature", [0.07, 0.5])
def test_matches_pytorch_metric_learning(temperature):
    a, b = torch.randn(32, 16), torch.randn(32, 16)
    embeddings = torch.cat([a, b])
    labels = torch.arange(32).repeat(2)
    expected = PMLNTXentLoss(temperature=temperature)(embeddings, labels)
    torch.testing.assert_close(nt_xent(a, b, temperature=temperature), expected, rtol=1e-5, atol=1e-5)


def test_equals_supcon_form_of_info_nce_with_self_excluded():
    # NT-Xent is InfoNCE over [a; b] against itself with the view itself removed: check against the loop of
    # the general form where the self-similarity column is dropped by hand.
    a, b = torch.randn(4, 3, dtype=torch.float64), torch.randn(4, 3, dtype=torch.float64)
    torch.testing.assert_close(nt_xent(a, b, temperature=0.3), nt_xent_loop(a, b, 0.3))


def test_gradcheck():
    a = torch.randn(3, 4, dtype=torch.float64, requires_grad=True)
    b = torch.randn(3, 4, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda x, y: nt_xent(x, y, temperature=0.3), (a, b))


@pytest.mark.parametrize("autocast_dtype", [torch.bfloat16, torch.float16])
def test_autocast_tiny_temperature_stays_finite(autocast_dtype):
    encoder = torch.nn.Linear(16, 8)
    x = torch.randn(32, 16)
    with torch.autocast("cpu", dtype=autocast_dtype):
        loss = nt_xent(encoder(x), encoder(x + 1e-4), temperature=0.01)
    loss.backward()
    assert torch.isfinite(loss) and all(torch.isfinite(p.grad).all() for p in encoder.parameters())


def test_module_equals_function():
    a, b = torch.randn(8, 4), torch.randn(8, 4)
    torch.testing.assert_close(NTXentLoss(0.2)(a, b), nt_xent(a, b, temperature=0.2))


def test_single_sample_raises():
    with pytest.raises(ValueError, match="at least 2 samples"):
        nt_xent(torch.randn(1, 4), torch.randn(1, 4), temperature=0.5)


def test_mismatched_views_raise():
    with pytest.raises(ValueError, match=r"z_a and z_b must have the same shape"):
        nt_xent(torch.randn(4, 4), torch.randn(4, 5), temperature=0.5)
