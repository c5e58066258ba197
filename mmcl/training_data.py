"""This process's endless, seeded, resumable stream of training micro-batches.

- A map-style ``datasets.Dataset`` is shuffled once per epoch with a generator seeded by ``seed + epoch``
  (the same permutation on every process, as ``DistributedSampler`` does); each process takes every
  ``world_size``-th example, and the permutation is cut so every process gets the same number of full
  batches — so no process waits on a collective the others never reach.
- An adapter may choose the batches itself (``Adapter.batch_sampler``: e.g. no text twice in a batch, similar
  lengths together): a sampler that yields each epoch's global batches of ``batch_size * world_size`` example
  indices, the same on every process (it has ``set_epoch``); each process takes its slice of every batch.
- A streaming ``datasets.IterableDataset`` is shuffled through a buffer (``seed``, ``set_epoch``) and sharded
  with ``datasets.distributed.split_dataset_by_node``. Streams have no length: train them by ``max_steps``;
  a process whose shard ends starts its next epoch.

The position — epoch and batches this process has consumed in it — is all a checkpoint needs to continue
with exactly the batches an uninterrupted run would have seen: a map-style epoch restarts at that offset in
its permutation; a stream replays its epoch and skips the consumed batches.

Example:
    >>> import datasets, torch
    >>> data = datasets.Dataset.from_dict({"x": list(range(10))})
    >>> batches = TrainingBatches(data, batch_size=4, collate=lambda rows: torch.tensor([r["x"] for r in rows]), seed=0)
    >>> batches.batches_per_epoch
    2
    >>> first = next(iter(batches))
    >>> batches.position
    DataPosition(epoch=0, batches_consumed=1)
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import datasets
import torch
from datasets.distributed import split_dataset_by_node
from torch.utils.data import DataLoader, Sampler


@dataclass
class DataPosition:
    """Where this process is in its data: the epoch, and how many of its batches it consumed in it."""

    epoch: int = 0
    batches_consumed: int = 0


class TrainingBatches:
    """Iterate this process's micro-batches forever; ``position`` says how far it got, ``seek`` goes back there.

    Args:
        dataset: the training split (``datasets.Dataset`` or ``datasets.IterableDataset``).
        batch_size: examples per micro-batch on this process; incomplete batches are dropped.
        collate: turns a list of examples into a batch (the adapter's ``collate``).
        seed: seeds the per-epoch order (identical on all processes).
        rank: this process's index.
        world_size: number of processes.
        num_workers: DataLoader worker processes.
        shuffle_buffer_size: shuffle buffer for a stream (0: keep the stream's order).
        batch_sampler: the adapter's global batches of a map-style dataset (see the module docstring); None
            cuts the seeded permutation into batches.

    Raises:
        ValueError: when a map-style dataset is too small to give every process one full batch.
    """

    def __init__(
        self,
        dataset: datasets.Dataset | datasets.IterableDataset,
        *,
        batch_size: int,
        collate: Callable[[list[dict[str, Any]]], Any],
        seed: int,
        rank: int = 0,
        world_size: int = 1,
        num_workers: int = 0,
        shuffle_buffer_size: int = 0,
        batch_sampler: Sampler[list[int]] | None = None,
    ) -> None:
        self.batch_size, self.collate, self.seed = batch_size, collate, seed
        self.rank, self.world_size, self.num_workers = rank, world_size, num_workers
        self.is_stream = isinstance(dataset, datasets.IterableDataset)
        if self.is_stream:
            if shuffle_buffer_size:
                dataset = dataset.shuffle(seed=seed, buffer_size=shuffle_buffer_size)
            dataset = split_dataset_by_node(dataset, rank=rank, world_size=world_size)
        elif len(dataset) < batch_size * world_size:
            raise ValueError(
                f"the training data has {len(dataset)} examples, fewer than one batch per process "
                f"(train.batch_size={batch_size} x {world_size} processes); lower train.batch_size or add data"
            )
        self.dataset = dataset
        self.batch_sampler = None if self.is_stream else batch_sampler
        if self.batch_sampler is not None and len(self.batch_sampler) == 0:
            raise ValueError(
                f"the adapter's batch sampler makes no full batch of {batch_size} x {world_size} process(es) "
                f"from the {len(dataset)} training examples (e.g. too many repeated texts); lower "
                "train.batch_size or add data"
            )
        self.position = DataPosition()
        self._epoch_order = _EpochOrder()
        self._map_loader: DataLoader | None = None

    @property
    def batches_per_epoch(self) -> int | None:
        """Batches this process gets per epoch (the same on every process); None for a stream."""
        if self.is_stream:
            return None
        if self.batch_sampler is not None:
            return len(self.batch_sampler)
        return len(self.dataset) // (self.batch_size * self.world_size)

    def seek(self, position: DataPosition) -> None:
        """Continue from ``position`` (as saved in a checkpoint) at the next iteration."""
        self.position = DataPosition(position.epoch, position.batches_consumed)

    def __iter__(self) -> Iterator[Any]:
        while True:
            skip = self.position.batches_consumed
            yielded = False
            for batch in self._epoch_batches(self.position.epoch, skip):
                yielded = True
                self.position.batches_consumed += 1
                yield batch
            if not yielded and skip == 0:
                raise ValueError(
                    f"process {self.rank}'s shard of the training stream is empty in epoch "
                    f"{self.position.epoch}; the stream needs at least {self.batch_size} examples per process"
                )
            self.position = DataPosition(self.position.epoch + 1, 0)

    def _epoch_batches(self, epoch: int, skip: int) -> Iterator[Any]:
        if self.is_stream:
            self.dataset.set_epoch(epoch)
            loader = self._loader(self.dataset, sampler=None, seed=self.seed + epoch)
            return itertools.islice(loader, skip, None)
        if self.batch_sampler is not None:
            self.batch_sampler.set_epoch(epoch)
            start, end = self.rank * self.batch_size, (self.rank + 1) * self.batch_size
            indices = [index for batch in self.batch_sampler for index in self._slice(batch, start, end)]
        else:
            order = torch.randperm(
                len(self.dataset), generator=torch.Generator().manual_seed(self.seed + epoch)
            )
            usable = self.batches_per_epoch * self.batch_size * self.world_size
            indices = order[:usable][self.rank :: self.world_size].tolist()
        self._epoch_order.indices = indices[skip * self.batch_size :]
        if self._map_loader is None:  # one loader for all epochs: its workers persist
            self._map_loader = self._loader(self.dataset, sampler=self._epoch_order, seed=self.seed)
        return iter(self._map_loader)

    def _slice(self, batch: list[int], start: int, end: int) -> list[int]:
        if len(batch) != self.batch_size * self.world_size:
            raise ValueError(
                f"the adapter's batch sampler gave a batch of {len(batch)} examples; the engine needs "
                f"train.batch_size x processes = {self.batch_size * self.world_size}"
            )
        return batch[start:end]

    def _loader(self, dataset: Any, sampler: _EpochOrder | None, seed: int) -> DataLoader:
        return DataLoader(
            dataset,
            batch_size=self.batch_size,
            sampler=sampler,
            collate_fn=self.collate,
            num_workers=self.num_workers,
            drop_last=True,
            # The loader's own generator: starting an iterator must not draw from the global random stream,
            # which a resumed run would otherwise do at a different moment.
            generator=torch.Generator().manual_seed(seed),
            persistent_workers=self.num_workers > 0 and sampler is not None,
        )


class _EpochOrder(Sampler[int]):
    """The example indices this process reads in the current epoch (set by ``TrainingBatches``); it lives in
    the main process, so persistent DataLoader workers follow each new epoch's order."""

    def __init__(self) -> None:
        self.indices: list[int] = []

    def __iter__(self) -> Iterator[int]:
        return iter(self.indices)

    def __len__(self) -> int:
        return len(self.indices)
