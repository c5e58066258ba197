import pytest
import torch
from torch import nn

from mmcl.gradcache import GradCache, encode_in_chunks, split_batch
from mmcl.losses import info_nce, nt_xent


class DictEncoder(nn.Module):
    """Takes a tokenizer-like mapping, with dropout, so RNG replay matters."""

    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(12, 32), nn.Dropout(0.3), nn.GELU(), nn.Linear(32, 8))

    def forward(self, batch):
        return self.net(batch["features"] * batch["mask"][:, :1])


def _grads(model):
    return [p.grad.clone() for p in model.parameters()]


@pytest.mark.parametrize("chunk_size", [1, 7, 64])
def test_same_loss_and_gradients_as_uncached_with_dropout(chunk_size):
    model = DictEncoder()
    batch_a = {"features": torch.randn(40, 12), "mask": torch.ones(40, 3)}
    batch_b = {"features": torch.randn(40, 12), "mask": torch.ones(40, 3)}

    def loss_fn(q, k):
        return info_nce(q, k, temperature=0.05, symmetric=True)

    torch.manual_seed(1)
    expected_loss = loss_fn(model(batch_a), model(batch_b))
    expected_loss.backward()
    expected = _grads(model)
    model.zero_grad()

    torch.manual_seed(1)
    cached_loss = GradCache(model, loss_fn, chunk_size=chunk_size)(batch_a, batch_b)
    torch.testing.assert_close(cached_loss, expected_loss.detach(), atol=1e-5, rtol=1e-5)
    for actual, reference in zip(_grads(model), expected, strict=True):
        torch.testing.assert_close(actual, reference, atol=1e-5, rtol=1e-5)


def test_separate_encoders_per_input():
    query_tower, key_tower = nn.Linear(6, 4), nn.Linear(6, 4)
    x, y = torch.randn(20, 6), torch.randn(20, 6)
    reference = nt_xent(query_tower(x), key_tower(y), temperature=0.1)
    reference.backward()
    expected = _grads(query_tower) + _grads(key_tower)
    query_tower.zero_grad(), key_tower.zero_grad()
    GradCache([query_tower, key_tower], lambda a, b: nt_xent(a, b, temperature=0.1), chunk_size=6)(x, y)
    for actual, reference_grad in zip(_grads(query_tower) + _grads(key_tower), expected, strict=True):
        torch.testing.assert_close(actual, reference_grad, atol=1e-6, rtol=1e-5)


def test_rng_after_call_continues_as_without_replay():
    model = DictEncoder()
    batch = {"features": torch.randn(8, 12), "mask": torch.ones(8, 3)}
    torch.manual_seed(3)
    GradCache(model, lambda a, b: info_nce(a, b, temperature=0.1), chunk_size=3)(batch, batch)
    after_cached = torch.rand(1)
    torch.manual_seed(3)
    with torch.no_grad():
        model(batch), model(batch)
    assert torch.equal(after_cached, torch.rand(1))


class CountingEncoder(DictEncoder):
    def __init__(self):
        super().__init__()
        self.calls = 0

    def forward(self, batch):
        self.calls += 1
        return super().forward(batch)


def test_encode_in_chunks_equals_the_chunk_loop_and_recomputes_each_chunk_in_backward():
    model = CountingEncoder()
    batch = {"features": torch.randn(20, 12), "mask": torch.ones(20, 3)}
    torch.manual_seed(2)
    embeddings = encode_in_chunks(model, batch, chunk_size=6)
    assert model.calls == 4  # 6 + 6 + 6 + 2 rows
    embeddings.square().sum().backward()
    assert model.calls == 8  # each chunk re-run once in backward, with the first pass's dropout masks
    cached = _grads(model)
    model.zero_grad()
    torch.manual_seed(2)
    reference = torch.cat([model(chunk) for chunk in split_batch(batch, 6)])
    reference.square().sum().backward()
    torch.testing.assert_close(embeddings, reference)
    for actual, expected in zip(cached, _grads(model), strict=True):
        torch.testing.assert_close(actual, expected, atol=1e-6, rtol=1e-5)


def test_encode_in_chunks_is_one_pass_without_gradient_or_chunks():
    model = CountingEncoder()
    batch = {"features": torch.randn(10, 12), "mask": torch.ones(10, 3)}
    with torch.no_grad():
        encode_in_chunks(model, batch, chunk_size=3)
    encode_in_chunks(model, batch, chunk_size=None)
    encode_in_chunks(model, batch, chunk_size=10)
    assert model.calls == 3
    with pytest.raises(ValueError, match="chunk_size must be a positive integer"):
        encode_in_chunks(model, batch, chunk_size=0)


def test_split_batch_errors():
    with pytest.raises(ValueError, match="same number of rows"):
        split_batch({"a": torch.zeros(3, 1), "b": torch.zeros(4, 1)}, 2)
    with pytest.raises(ValueError, match="tensor or a mapping"):
        split_batch([1, 2, 3], 2)
    with pytest.raises(ValueError, match="chunk_size must be a positive integer"):
        GradCache(nn.Linear(2, 2), lambda a: a.sum(), chunk_size=0)
