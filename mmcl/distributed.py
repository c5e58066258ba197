"""Process-group helpers that also work without a process group.

Contrastive losses need the embeddings of every process as negatives. ``all_gather_with_grad`` gathers them
and, unlike ``torch.distributed.all_gather``, lets gradients flow back: its backward sums the gradient of
the gathered tensor over all processes (each process's loss depends on every process's rows) and returns
this process's slice. ``rank_offset`` is the one place that knows where this process's rows sit in a
gathered tensor, so positive indices are shifted by exactly that offset — and by zero when nothing was
gathered.

Example:
    >>> import torch
    >>> from mmcl.distributed import all_gather_with_grad, rank_offset
    >>> x = torch.randn(4, 8)
    >>> all_gather_with_grad(x).shape  # no process group: identity
    torch.Size([4, 8])
    >>> rank_offset(4)
    0
"""

from __future__ import annotations

import torch
import torch.distributed as dist


def is_distributed() -> bool:
    """True when a process group with more than one process is initialised."""
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def world_size() -> int:
    """Number of processes (1 without a process group)."""
    return dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1


def rank() -> int:
    """This process's rank (0 without a process group)."""
    return dist.get_rank() if dist.is_available() and dist.is_initialized() else 0


def _gathered_sizes(local_size: int, device: torch.device) -> list[int]:
    size = torch.tensor([local_size], device=device, dtype=torch.long)
    sizes = [torch.zeros_like(size) for _ in range(world_size())]
    dist.all_gather(sizes, size)
    return [int(s.item()) for s in sizes]


def _all_gather_rows(x: torch.Tensor, sizes: list[int]) -> torch.Tensor:
    """Concatenate every process's ``x`` along dim 0; row counts may differ between processes."""
    largest = max(sizes)
    padded = x
    if x.shape[0] < largest:
        padded = torch.cat([x, x.new_zeros((largest - x.shape[0], *x.shape[1:]))])
    buffers = [torch.empty_like(padded) for _ in sizes]
    dist.all_gather(buffers, padded.contiguous())
    return torch.cat([buffer[:size] for buffer, size in zip(buffers, sizes, strict=True)])


def _device_for_collectives(x: torch.Tensor) -> torch.device:
    # gloo handles CPU tensors; nccl needs the tensor's CUDA device.
    return x.device if dist.get_backend() != "gloo" else torch.device("cpu")


class _AllGatherWithGrad(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:
        sizes = _gathered_sizes(x.shape[0], _device_for_collectives(x))
        ctx.offset = sum(sizes[: rank()])
        ctx.local_size = x.shape[0]
        return _all_gather_rows(x, sizes)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        grad = grad.contiguous()
        dist.all_reduce(grad, op=dist.ReduceOp.SUM)
        return grad[ctx.offset : ctx.offset + ctx.local_size]


def all_gather_with_grad(x: torch.Tensor) -> torch.Tensor:
    """Rows of ``x`` from every process, concatenated in rank order, differentiable.

    The backward pass all-reduces (sums) the incoming gradient and returns the rows that belong to this
    process, which is the exact gradient of a sum of per-process losses. Processes may hold different
    numbers of rows. Without a process group (or with one process) this is the identity.

    Example:
        >>> keys = all_gather_with_grad(torch.randn(8, 128, requires_grad=True))
    """
    if not is_distributed():
        return x
    return _AllGatherWithGrad.apply(x)


@torch.no_grad()
def all_gather_no_grad(x: torch.Tensor) -> torch.Tensor:
    """Rows of ``x`` from every process, concatenated in rank order, detached (for queues and EMA keys)."""
    if not is_distributed():
        return x.detach()
    return _all_gather_rows(x.detach(), _gathered_sizes(x.shape[0], _device_for_collectives(x)))


def rank_offset(local_size: int, device: torch.device | str = "cpu") -> int:
    """Index of this process's first row in a tensor gathered by ``all_gather_*`` (0 without a group).

    Use it — and only it — to turn local positive indices into indices of gathered keys.
    """
    if not is_distributed():
        return 0
    device = torch.device(device) if dist.get_backend() != "gloo" else torch.device("cpu")
    return sum(_gathered_sizes(local_size, device)[: rank()])


@torch.no_grad()
def shuffle_across_processes(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """MoCo's shuffling BN: a random permutation of the global batch; returns this process's rows and the
    permutation to pass to ``unshuffle_across_processes``. All processes must hold the same number of rows.

    Without a process group the rows are returned unchanged (single-process BatchNorm statistics are then
    shared by the key batch as a whole, as in MoCo's single-GPU code).
    """
    if not is_distributed():
        return x, torch.arange(x.shape[0], device=x.device)
    local = x.shape[0]
    gathered = all_gather_no_grad(x)
    if gathered.shape[0] != local * world_size():
        raise ValueError(
            f"shuffle_across_processes needs the same batch size on every process; got {local} here and "
            f"{gathered.shape[0]} rows in total over {world_size()} processes. Use drop_last=True."
        )
    permutation = _broadcast_from_rank0(torch.randperm(gathered.shape[0], device=x.device))
    start = rank() * local
    return gathered[permutation[start : start + local]], permutation


def _broadcast_from_rank0(x: torch.Tensor) -> torch.Tensor:
    buffer = x.to(_device_for_collectives(x))
    dist.broadcast(buffer, src=0)
    return buffer.to(x.device)


@torch.no_grad()
def unshuffle_across_processes(x: torch.Tensor, permutation: torch.Tensor) -> torch.Tensor:
    """Undo ``shuffle_across_processes``: row i of the result belongs to this process's input row i."""
    if not is_distributed():
        return x
    gathered = all_gather_no_grad(x)
    inverse = torch.argsort(permutation)
    start = rank() * x.shape[0]
    return gathered[inverse[start : start + x.shape[0]]]
