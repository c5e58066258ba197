"""The memory-lean path gives the loss and the gradients of the dense one."""

import pytest
import torch

from mmcl.losses import info_nce, nt_xent


def _loss_and_grads(fn, *tensors):
    tensors = [t.clone().requires_grad_() for t in tensors]
    loss = fn(*tensors)
    loss.backward()
    return loss.detach(), [t.grad for t in tensors]


@pytest.mark.parametrize("chunk_size", [1, 3, 64])
@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"negatives": torch.randn(11, 6)},
        {"negatives": torch.randn(10, 4, 6)},
        {"labels": torch.randint(0, 3, (10,))},
        {"symmetric": True},
    ],
)
def test_info_nce_chunked_equals_dense(chunk_size, kwargs):
    q, k = torch.randn(10, 6), torch.randn(10, 6)
    dense = _loss_and_grads(lambda a, b: info_nce(a, b, temperature=0.1, **kwargs), q, k)
    chunked = _loss_and_grads(
        lambda a, b: info_nce(a, b, temperature=0.1, chunk_size=chunk_size, **kwargs), q, k
    )
    torch.testing.assert_close(chunked[0], dense[0])
    for expected, actual in zip(dense[1], chunked[1], strict=True):
        torch.testing.assert_close(actual, expected, atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("chunk_size", [1, 5, 16])
def test_nt_xent_chunked_equals_dense(chunk_size):
    a, b = torch.randn(8, 6), torch.randn(8, 6)
    dense = _loss_and_grads(lambda x, y: nt_xent(x, y, temperature=0.2), a, b)
    chunked = _loss_and_grads(lambda x, y: nt_xent(x, y, temperature=0.2, chunk_size=chunk_size), a, b)
    torch.testing.assert_close(chunked[0], dense[0])
    for expected, actual in zip(dense[1], chunked[1], strict=True):
        torch.testing.assert_close(actual, expected, atol=1e-6, rtol=1e-5)


def test_chunked_gradcheck_including_temperature():
    q = torch.randn(5, 4, dtype=torch.float64, requires_grad=True)
    k = torch.randn(5, 4, dtype=torch.float64, requires_grad=True)
    t = torch.tensor(0.3, dtype=torch.float64, requires_grad=True)
    hard = torch.randn(5, 2, 4, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(
        lambda a, b, temp, h: info_nce(a, b, temperature=temp, negatives=h, chunk_size=2), (q, k, t, hard)
    )
    a = torch.randn(4, 3, dtype=torch.float64, requires_grad=True)
    b = torch.randn(4, 3, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(
        lambda x, y, temp: nt_xent(x, y, temperature=temp, chunk_size=3), (a, b, t)
    )
    labels = torch.tensor([0, 1, 0, 1, 2])
    assert torch.autograd.gradcheck(
        lambda x, y: info_nce(x, y, temperature=0.5, labels=labels, chunk_size=2), (q, k)
    )


def test_bad_chunk_size():
    with pytest.raises(ValueError, match="chunk_size must be a positive integer"):
        info_nce(torch.randn(4, 3), torch.randn(4, 3), temperature=0.1, chunk_size=0)
