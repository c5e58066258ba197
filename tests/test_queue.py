import pytest
import torch

from mmcl.queue import MomentumQueue


def _naive_ring(size, batches):
    """Reference: a Python list of the last `size` rows, and the slot each row landed in."""
    slots, pointer = [None] * size, 0
    for batch in batches:
        for row in batch[-size:] if len(batch) > size else batch:
            slots[pointer] = row
            pointer = (pointer + 1) % size
    return slots, pointer


@pytest.mark.parametrize("batch_sizes", [[3, 3, 3, 3], [5, 7, 2, 9], [13], [1, 1, 1, 10, 4]])
def test_wraps_around_for_batch_sizes_that_do_not_divide_the_size(batch_sizes):
    queue = MomentumQueue(size=10, dim=2)
    batches = [torch.randn(n, 2) for n in batch_sizes]
    for batch in batches:
        queue.enqueue(batch)
    slots, pointer = _naive_ring(10, batches)
    filled = [s for s in slots if s is not None]
    assert len(queue) == len(filled) == min(sum(batch_sizes), 10)
    assert int(queue.pointer) == pointer
    torch.testing.assert_close(queue.read(), torch.stack(filled))


def test_read_is_detached_and_starts_empty():
    queue = MomentumQueue(size=4, dim=3)
    assert queue.read().shape == (0, 3)
    queue.enqueue(torch.randn(2, 3, requires_grad=True))
    assert not queue.read().requires_grad and queue.read().shape == (2, 3)


def test_labels_and_ids_follow_keys():
    queue = MomentumQueue(size=4, dim=2, store_labels=True, store_ids=True)
    queue.enqueue(torch.randn(3, 2), labels=torch.tensor([1, 2, 3]), ids=torch.tensor([10, 11, 12]))
    queue.enqueue(torch.randn(2, 2), labels=torch.tensor([4, 5]), ids=torch.tensor([13, 14]))
    assert queue.read_labels().tolist() == [5, 2, 3, 4]
    assert queue.read_ids().tolist() == [14, 11, 12, 13]


def test_state_dict_round_trip():
    queue = MomentumQueue(size=6, dim=2, store_labels=True)
    queue.enqueue(torch.randn(4, 2), labels=torch.arange(4))
    restored = MomentumQueue(size=6, dim=2, store_labels=True)
    restored.load_state_dict(queue.state_dict())
    assert set(queue.state_dict()) == {"keys", "labels", "pointer", "filled"}
    torch.testing.assert_close(restored.read(), queue.read())
    assert restored.read_labels().tolist() == [0, 1, 2, 3]
    restored.enqueue(torch.randn(3, 2), labels=torch.arange(3))
    assert int(restored.pointer) == 1 and len(restored) == 6


def test_bad_input():
    with pytest.raises(ValueError, match=r"keys must have shape \(N, 4\) for this queue, got \(2, 3\)"):
        MomentumQueue(8, 4).enqueue(torch.randn(2, 3))
    with pytest.raises(ValueError, match="enqueue with labels"):
        MomentumQueue(8, 4, store_labels=True).enqueue(torch.randn(2, 4))
    with pytest.raises(ValueError, match="size must be a positive integer"):
        MomentumQueue(0, 4)
    with pytest.raises(ValueError, match="stores no labels"):
        MomentumQueue(8, 4).read_labels()
