"""Data order: seeded per epoch, disjoint across processes, equal batch counts, and an exact restart from a
saved position for map-style and streaming datasets."""

import itertools

import datasets
import pytest
import torch
from torch.utils.data import DataLoader, DistributedSampler

from mmcl.training_data import DataPosition, TrainingBatches


def _collate(rows):
    return torch.tensor([row["i"] for row in rows])


def _batches(streaming=False, rank=0, world_size=1, size=50, batch_size=4, seed=0):
    data = datasets.Dataset.from_dict({"i": list(range(size))})
    if streaming:
        data = data.to_iterable_dataset(num_shards=2)
    return TrainingBatches(
        data, batch_size=batch_size, collate=_collate, seed=seed, rank=rank, world_size=world_size,
        shuffle_buffer_size=8 if streaming else 0,
    )  # fmt: skip


def _take(batches, count):
    return [batch.tolist() for batch in itertools.islice(iter(batches), count)]


def test_map_style_order_is_torch_distributed_samplers_order():
    data = datasets.Dataset.from_dict({"i": list(range(50))})
    for rank in range(2):
        ours = _take(_batches(rank=rank, world_size=2, seed=3), 2 * 6)
        expected = []
        for epoch in range(2):
            sampler = DistributedSampler(
                data, num_replicas=2, rank=rank, shuffle=True, seed=3, drop_last=True
            )
            sampler.set_epoch(epoch)
            loader = DataLoader(data, batch_size=4, sampler=sampler, collate_fn=_collate, drop_last=True)
            expected += [batch.tolist() for batch in loader]
        assert ours == expected


def test_processes_get_disjoint_examples_and_the_same_number_of_batches():
    ranks = [_batches(rank=r, world_size=2) for r in range(2)]
    assert ranks[0].batches_per_epoch == ranks[1].batches_per_epoch == 50 // 8
    epoch = [i for batches in ranks for batch in _take(batches, 6) for i in batch]
    assert len(epoch) == len(set(epoch)) == 48
    assert ranks[0].position == DataPosition(epoch=0, batches_consumed=6)


def test_the_seed_fixes_the_order():
    assert _take(_batches(seed=1), 8) == _take(_batches(seed=1), 8)
    assert _take(_batches(seed=1), 8) != _take(_batches(seed=2), 8)


@pytest.mark.parametrize("streaming", [False, True])
@pytest.mark.parametrize("stop_after", [3, 12, 13])  # mid-epoch, at an epoch's end, just after it
def test_seeking_a_saved_position_continues_with_the_same_batches(streaming, stop_after):
    uninterrupted = _take(_batches(streaming, rank=1, world_size=2), 30)
    first = _batches(streaming, rank=1, world_size=2)
    before = _take(first, stop_after)
    restarted = _batches(streaming, rank=1, world_size=2)
    restarted.seek(first.position)
    assert before + _take(restarted, 30 - stop_after) == uninterrupted


def test_too_little_data_for_one_batch_per_process():
    with pytest.raises(ValueError, match="fewer than one batch per process"):
        _batches(size=7, batch_size=4, world_size=2)


def test_persistent_workers_follow_each_epochs_order():
    data = datasets.Dataset.from_dict({"i": list(range(50))})
    with_workers = TrainingBatches(data, batch_size=4, collate=_collate, seed=0, num_workers=2)
    assert _take(with_workers, 30) == _take(_batches(), 30)  # 30 batches: 2.5 epochs of 12


class _GlobalBatches(torch.utils.data.Sampler):
    """An adapter's batch sampler: per epoch, global batches of consecutive indices in a seeded block order."""

    def __init__(self, size, global_batch, seed=0):
        self.size, self.global_batch, self.seed, self.epoch = size, global_batch, seed, 0

    def set_epoch(self, epoch):
        self.epoch = epoch

    def __iter__(self):
        blocks = torch.randperm(len(self), generator=torch.Generator().manual_seed(self.seed + self.epoch))
        return iter(
            [list(range(b * self.global_batch, (b + 1) * self.global_batch)) for b in blocks.tolist()]
        )

    def __len__(self):
        return self.size // self.global_batch


def _sampled_batches(rank=0, world_size=1, batch_size=4, num_workers=0, global_batch=None):
    data = datasets.Dataset.from_dict({"i": list(range(50))})
    sampler = _GlobalBatches(50, global_batch or batch_size * world_size)
    return TrainingBatches(
        data, batch_size=batch_size, collate=_collate, seed=0, rank=rank, world_size=world_size,
        num_workers=num_workers, batch_sampler=sampler,
    )  # fmt: skip


def test_an_adapters_batch_sampler_gives_each_process_its_slice_of_every_global_batch():
    ranks = [_sampled_batches(rank=r, world_size=2) for r in range(2)]
    assert ranks[0].batches_per_epoch == 50 // 8
    first, second = (_take(batches, 12) for batches in ranks)  # two epochs
    expected = []
    for epoch in range(2):
        sampler = _GlobalBatches(50, 8)
        sampler.set_epoch(epoch)
        expected += list(sampler)
    assert [a + b for a, b in zip(first, second, strict=True)] == expected


@pytest.mark.parametrize("stop_after", [2, 6, 7])
def test_an_adapters_batches_continue_from_a_saved_position(stop_after):
    uninterrupted = _take(_sampled_batches(rank=1, world_size=2), 15)
    first = _sampled_batches(rank=1, world_size=2)
    before = _take(first, stop_after)
    restarted = _sampled_batches(rank=1, world_size=2)
    restarted.seek(first.position)
    assert before + _take(restarted, 15 - stop_after) == uninterrupted


def test_an_adapters_batches_with_persistent_workers():
    assert _take(_sampled_batches(num_workers=2), 30) == _take(_sampled_batches(), 30)


def test_an_adapters_batch_of_the_wrong_size_is_refused():
    with pytest.raises(ValueError, match=r"batch sampler gave a batch of 4 examples.*needs .* = 8"):
        _take(_sampled_batches(world_size=2, global_batch=4), 1)
    with pytest.raises(ValueError, match="makes no full batch of 4 x 1"):
        _sampled_batches(global_batch=64)
