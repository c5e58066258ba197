"""MoCo's momentum queue: a ring buffer of past keys (and optional labels / ids) used as negatives.

Reference:
    He et al., "Momentum Contrast for Unsupervised Visual Representation Learning", CVPR 2020.
"""

from __future__ import annotations

import torch
from torch import nn

from mmcl.distributed import all_gather_no_grad


class MomentumQueue(nn.Module):
    """Ring buffer of the ``size`` most recent keys, held in registered buffers so it is saved and restored
    with the model (``state_dict``) and moved with it (``.to(device)``).

    Keys of every process are gathered before they are enqueued, so the queue is identical on all ranks.
    Batches of any size are accepted: writes wrap around the end, and a batch larger than the queue keeps
    its last ``size`` rows. Only filled slots are read, so early steps never use placeholder negatives.
    Enqueue a step's keys only after every loss term of that step has read the queue (the methods do
    this in ``on_step_end``).

    Example:
        >>> queue = MomentumQueue(size=4096, dim=128)
        >>> negatives = queue.read()  # (0, 128) before the first enqueue
        >>> queue.enqueue(torch.randn(256, 128))
        >>> len(queue)
        256
    """

    def __init__(self, size: int, dim: int, *, store_labels: bool = False, store_ids: bool = False) -> None:
        super().__init__()
        if not isinstance(size, int) or size < 1:
            raise ValueError(f"size must be a positive integer, got {size!r}")
        if not isinstance(dim, int) or dim < 1:
            raise ValueError(f"dim must be a positive integer, got {dim!r}")
        self.size, self.dim = size, dim
        self.register_buffer("keys", torch.zeros(size, dim))
        self.register_buffer("labels", torch.full((size,), -1, dtype=torch.long) if store_labels else None)
        self.register_buffer("ids", torch.full((size,), -1, dtype=torch.long) if store_ids else None)
        self.register_buffer("pointer", torch.zeros((), dtype=torch.long))
        self.register_buffer("filled", torch.zeros((), dtype=torch.long))

    def __len__(self) -> int:
        return int(self.filled)

    def read(self) -> torch.Tensor:
        """The filled part of the queue, detached: ``(len(self), dim)``, in slot order."""
        return self.keys[: int(self.filled)].detach()

    def read_labels(self) -> torch.Tensor:
        """Labels of the filled slots (needs ``store_labels=True``)."""
        if self.labels is None:
            raise ValueError("this queue stores no labels; create it with store_labels=True")
        return self.labels[: int(self.filled)]

    def read_ids(self) -> torch.Tensor:
        """Sample ids of the filled slots (needs ``store_ids=True``)."""
        if self.ids is None:
            raise ValueError("this queue stores no ids; create it with store_ids=True")
        return self.ids[: int(self.filled)]

    @torch.no_grad()
    def enqueue(
        self, keys: torch.Tensor, labels: torch.Tensor | None = None, ids: torch.Tensor | None = None
    ) -> None:
        """Gather ``keys`` (and ``labels`` / ``ids``) from every process and write them after the newest."""
        if keys.ndim != 2 or keys.shape[1] != self.dim:
            raise ValueError(f"keys must have shape (N, {self.dim}) for this queue, got {tuple(keys.shape)}")
        for name, stored, given in (("labels", self.labels, labels), ("ids", self.ids, ids)):
            if (stored is None) != (given is None):
                raise ValueError(
                    f"this queue was created with store_{name}={stored is not None}; "
                    f"enqueue {'with' if stored is not None else 'without'} {name}"
                )
            if given is not None and given.shape != keys.shape[:1]:
                raise ValueError(f"{name} must have shape ({keys.shape[0]},), got {tuple(given.shape)}")
        keys = all_gather_no_grad(keys)[-self.size :]
        rows = keys.shape[0]
        positions = (self.pointer + torch.arange(rows, device=self.keys.device)) % self.size
        self.keys.index_copy_(0, positions, keys.to(self.keys.dtype))
        if labels is not None:
            self.labels.index_copy_(0, positions, all_gather_no_grad(labels)[-self.size :].long())
        if ids is not None:
            self.ids.index_copy_(0, positions, all_gather_no_grad(ids)[-self.size :].long())
        self.pointer.copy_((self.pointer + rows) % self.size)
        self.filled.copy_(torch.clamp(self.filled + rows, max=self.size))
