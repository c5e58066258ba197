"""Batches for contrastive text training: no text twice in a batch, and texts of similar length together.

- No duplicates: a text repeated within a batch is a false negative of itself (sentence-transformers'
  ``NoDuplicatesBatchSampler``). Rows are taken in a shuffled order; a row whose text is already in the batch
  being filled waits for a later batch.
- Length grouping: within shuffled windows of ``batch_size * group_window`` rows, rows are ordered by length
  before they are cut into batches, so a batch pads to a similar length (less wasted compute); the batches
  are then shuffled (as ``transformers``' ``LengthGroupedSampler``).

Each epoch's batches depend only on ``seed`` and the epoch (``set_epoch``), the same on every process. Only
full batches are yielded. A batch is a global batch: with several processes, each takes its slice.

Example:
    >>> sampler = TextBatchSampler([(1, 2), (3, 4), (1, 5), (6, 7)], batch_size=2, lengths=[5, 9, 6, 8], seed=0)
    >>> all(len({t for row in batch for t in ((1, 2), (3, 4), (1, 5), (6, 7))[row]}) == 4 for batch in sampler)
    True
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Sequence

import torch
from torch.utils.data import Sampler


class TextBatchSampler(Sampler[list[int]]):
    """Yield the epoch's batches of row indices.

    Args:
        row_texts: the text ids of each row (e.g. ``(anchor_id, positive_id, *negative_ids)``).
        batch_size: rows per batch.
        lengths: tokens per row (e.g. of its longest text) to group by length; None keeps the shuffled order.
        seed: seeds the order of every epoch.
        group_window: batches per length-sorted window.
    """

    def __init__(
        self,
        row_texts: Sequence[Sequence[int]],
        batch_size: int,
        *,
        lengths: Sequence[int] | None = None,
        seed: int = 0,
        group_window: int = 50,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        if lengths is not None and len(lengths) != len(row_texts):
            raise ValueError(f"lengths has {len(lengths)} entries but there are {len(row_texts)} rows")
        self.row_texts = [frozenset(texts) for texts in row_texts]
        self.batch_size = batch_size
        self.lengths = lengths
        self.seed = seed
        self.group_window = group_window
        self.epoch = 0
        self._batches_of_epoch: tuple[int, list[list[int]]] | None = None

    def set_epoch(self, epoch: int) -> None:
        """Use the order of ``epoch``."""
        self.epoch = epoch

    def __iter__(self) -> Iterator[list[int]]:
        return iter(self.batches(self.epoch))

    def __len__(self) -> int:
        return len(self.batches(self.epoch))

    def batches(self, epoch: int) -> list[list[int]]:
        """The full batches of ``epoch`` (computed once per epoch)."""
        if self._batches_of_epoch is None or self._batches_of_epoch[0] != epoch:
            self._batches_of_epoch = (epoch, self._make_batches(epoch))
        return self._batches_of_epoch[1]

    def _make_batches(self, epoch: int) -> list[list[int]]:
        generator = torch.Generator().manual_seed(self.seed + epoch)
        order = torch.randperm(len(self.row_texts), generator=generator).tolist()
        if self.lengths is not None:
            window = self.batch_size * self.group_window
            order = [
                row
                for start in range(0, len(order), window)
                for row in sorted(order[start : start + window], key=lambda r: -self.lengths[r])
            ]
        batches = self._without_duplicates(order)
        if self.lengths is not None:
            batches = [batches[i] for i in torch.randperm(len(batches), generator=generator).tolist()]
        return batches

    def _without_duplicates(self, order: list[int]) -> list[list[int]]:
        pending, batches = deque(order), []
        while pending:
            batch, seen, waiting = [], set(), []
            while pending and len(batch) < self.batch_size:
                row = pending.popleft()
                if self.row_texts[row] & seen:
                    waiting.append(row)
                else:
                    batch.append(row)
                    seen |= self.row_texts[row]
            if len(batch) < self.batch_size:
                break  # what is left cannot fill a batch without repeating a text
            batches.append(batch)
            pending.extendleft(reversed(waiting))
        return batches
