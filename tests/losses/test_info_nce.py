import pytest
import torch

from mmcl.losses import InfoNCELoss, info_nce
from tests.losses.naive import info_nce_loop

DTYPES = [torch.float64, torch.float32]


def _inputs(n=6, d=5, dtype=torch.float64):
    return torch.randn(n, d, dtype=dtype), torch.randn(n, d, dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_in_batch_matches_loop(dtype):
    q, k = _inputs(dtype=dtype)
    expected = info_nce_loop(q.double(), k.double(), 0.3)
    torch.testing.assert_close(info_nce(q, k, temperature=0.3).double(), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("dtype", DTYPES)
def test_queue_negatives_match_loop(dtype):
    q, k = _inputs(dtype=dtype)
    queue = torch.randn(9, 5, dtype=dtype)
    expected = info_nce_loop(q.double(), k.double(), 0.2, negatives=queue.double())
    actual = info_nce(q, k, temperature=0.2, negatives=queue)
    torch.testing.assert_close(actual.double(), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("dtype", DTYPES)
def test_per_row_hard_negatives_match_loop(dtype):
    q, k = _inputs(dtype=dtype)
    hard = torch.randn(6, 3, 5, dtype=dtype)
    expected = info_nce_loop(q.double(), k.double(), 0.5, negatives=hard.double())
    actual = info_nce(q, k, temperature=0.5, negatives=hard)
    torch.testing.assert_close(actual.double(), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("dtype", DTYPES)
def test_supcon_labels_match_loop(dtype):
    q, k = _inputs(n=8, dtype=dtype)
    labels = torch.tensor([0, 1, 0, 2, 1, 0, 3, 2])
    expected = info_nce_loop(q.double(), k.double(), 0.1, labels=labels)
    actual = info_nce(q, k, temperature=0.1, labels=labels)
    torch.testing.assert_close(actual.double(), expected, rtol=1e-5, atol=1e-6)


def test_supcon_with_labelled_queue_matches_loop():
    q, k = _inputs(n=5)
    labels = torch.tensor([0, 1, 0, 2, 1])
    queue, queue_labels = torch.randn(7, 5, dtype=torch.float64), torch.tensor([0, 3, 1, 1, 2, 5, 0])
    expected = info_nce_loop(q, k, 0.2, negatives=queue, labels=labels, negative_labels=queue_labels)
    actual = info_nce(q, k, temperature=0.2, negatives=queue, labels=labels, negative_labels=queue_labels)
    torch.testing.assert_close(actual, expected)


def test_supcon_unlabelled_queue_entries_are_negatives():
    q, k = _inputs(n=5)
    labels = torch.tensor([0, 1, 0, 2, 1])
    queue = torch.randn(7, 5, dtype=torch.float64)
    expected = info_nce_loop(q, k, 0.2, negatives=queue, labels=labels)
    torch.testing.assert_close(info_nce(q, k, temperature=0.2, negatives=queue, labels=labels), expected)


def test_symmetric_averages_both_directions():
    q, k = _inputs()
    queue = torch.randn(4, 5, dtype=torch.float64)
    expected = (info_nce_loop(q, k, 0.3, negatives=queue) + info_nce_loop(k, q, 0.3)) / 2
    torch.testing.assert_close(info_nce(q, k, temperature=0.3, negatives=queue, symmetric=True), expected)


def test_unlabelled_form_equals_labels_all_distinct():
    q, k = _inputs()
    torch.testing.assert_close(
        info_nce(q, k, temperature=0.3), info_nce(q, k, temperature=0.3, labels=torch.arange(6))
    )


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"negatives": torch.randn(4, 5, dtype=torch.float64)},
        {"negatives": torch.randn(3, 2, 5, dtype=torch.float64)},
        {"labels": torch.tensor([0, 1, 0])},
        {"symmetric": True},
    ],
)
def test_gradcheck(kwargs):
    q, k = _inputs(n=3, d=5)
    q.requires_grad_(), k.requires_grad_()
    assert torch.autograd.gradcheck(lambda a, b: info_nce(a, b, temperature=0.4, **kwargs), (q, k))


def test_learnable_temperature_gets_gradient():
    criterion = InfoNCELoss(temperature=0.07, learnable_temperature=True)
    q, k = torch.randn(8, 4), torch.randn(8, 4)
    criterion(q, k).backward()
    assert criterion.temperature.log_temperature.grad is not None
    assert criterion.temperature.log_temperature.grad != 0


def test_module_equals_function():
    q, k = torch.randn(8, 4), torch.randn(8, 4)
    torch.testing.assert_close(InfoNCELoss(0.2)(q, k), info_nce(q, k, temperature=0.2))


def test_loss_is_float32_and_matches_for_half_inputs():
    q, k = torch.randn(16, 8), torch.randn(16, 8)
    loss = info_nce(q.half(), k.half(), temperature=0.1)
    assert loss.dtype == torch.float32
    torch.testing.assert_close(loss, info_nce(q.half().float(), k.half().float(), temperature=0.1))


@pytest.mark.parametrize("autocast_dtype", [torch.bfloat16, torch.float16])
def test_autocast_tiny_temperature_near_duplicates_stay_finite(autocast_dtype):
    encoder = torch.nn.Linear(32, 16)
    x = torch.randn(64, 32)
    near_duplicate = x + 1e-4 * torch.randn_like(x)
    with torch.autocast("cpu", dtype=autocast_dtype):
        q, k = encoder(x), encoder(near_duplicate)
        assert q.dtype == autocast_dtype
        loss = info_nce(q, k, temperature=0.01, negatives=encoder(x[:8]), symmetric=True)
    loss.backward()
    assert loss.dtype == torch.float32 and torch.isfinite(loss)
    assert all(torch.isfinite(p.grad).all() for p in encoder.parameters())


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"query": torch.randn(4, 3), "key": torch.randn(5, 3)},
            r"query and key must have the same shape.*\(4, 3\).*\(5, 3\)",
        ),
        (
            {"query": torch.randn(4, 3), "key": torch.randn(4, 3).double()},
            "query is torch.float32 but key is torch.float64",
        ),
        ({"query": torch.randn(4), "key": torch.randn(4)}, r"query must have 2 dimensions, got shape \(4,\)"),
        ({"query": torch.randn(0, 3), "key": torch.randn(0, 3)}, "query is empty"),
        ({"query": torch.randn(1, 3), "key": torch.randn(1, 3)}, "at least one negative"),
        ({"temperature": 0.0}, "temperature must be a finite number > 0"),
        ({"temperature": -1.0}, "temperature must be a finite number > 0"),
        ({"temperature": float("nan")}, "temperature must be a finite number > 0"),
        ({"negatives": torch.randn(7, 4)}, r"negatives must be a queue \(K, 3\).*\(7, 4\)"),
        ({"labels": torch.tensor([0, 1])}, "labels must be a 1-D tensor with 4 entries"),
        ({"query": torch.tensor([[float("nan"), 1, 2]] * 4), "key": torch.randn(4, 3)}, "query holds 4 NaN"),
        ({"query": torch.randint(0, 3, (4, 3)), "key": torch.randint(0, 3, (4, 3))}, "floating-point"),
    ],
)
def test_bad_input_raises_value_error(kwargs, message):
    arguments = {"query": torch.randn(4, 3), "key": torch.randn(4, 3), "temperature": 0.1} | kwargs
    query, key = arguments.pop("query"), arguments.pop("key")
    with pytest.raises(ValueError, match=message):
        info_nce(query, key, **arguments)


def test_one_row_with_queue_is_fine():
    loss = info_nce(torch.randn(1, 3), torch.randn(1, 3), temperature=0.1, negatives=torch.randn(5, 3))
    assert torch.isfinite(loss)


def test_mismatched_devices_raise():
    with pytest.raises(ValueError, match="query is on cpu but key is on meta"):
        info_nce(torch.randn(4, 3), torch.randn(4, 3, device="meta"), temperature=0.1)


def test_float32_queue_with_bfloat16_queries_under_autocast():
    encoder = torch.nn.Linear(8, 4)
    queue = torch.randn(32, 4)  # the queue stores float32 keys
    with torch.autocast("cpu", dtype=torch.bfloat16):
        q, k = encoder(torch.randn(6, 8)), encoder(torch.randn(6, 8))
        loss = info_nce(q, k, temperature=0.2, negatives=queue)
    expected = info_nce(q.float(), k.float(), temperature=0.2, negatives=queue)
    torch.testing.assert_close(loss, expected)
