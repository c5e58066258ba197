"""Run under `torchrun --nproc_per_node 2`: every distributed path of the core, checked against one process
on the whole batch. Writes rank{N}.json with the measured differences into the folder given as argv[1]."""

from __future__ import annotations

import gc
import json
import sys
from pathlib import Path

import torch
import torch.distributed as dist
from torch import nn

from mmcl.distributed import all_gather_no_grad, rank, rank_offset, world_size
from mmcl.losses import info_nce, nt_xent
from mmcl.methods import MoCo
from mmcl.queue import MomentumQueue


def _max_difference(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a - b).abs().max())


def _gradients(model: nn.Module) -> torch.Tensor:
    return torch.cat([p.grad.flatten() for p in model.parameters()])


def _average_gradients(model: nn.Module) -> None:
    """What DDP does after backward."""
    for p in model.parameters():
        dist.all_reduce(p.grad)
        p.grad /= world_size()


def gathered_loss_equals_full_batch(loss_fn, rows_per_rank: list[int], *, sum_losses: bool) -> dict:
    """Split a global batch over the ranks; compare loss and parameter gradients with one process."""
    torch.manual_seed(0)
    model = nn.Linear(6, 4).double()
    total = sum(rows_per_rank)
    x, y = torch.randn(total, 6, dtype=torch.float64), torch.randn(total, 6, dtype=torch.float64)
    labels = torch.randint(0, 3, (total,))
    start = sum(rows_per_rank[: rank()])
    local = slice(start, start + rows_per_rank[rank()])

    full = loss_fn(model(x), model(y), labels, gather=False)
    full = full * total if sum_losses else full
    full.backward()
    expected = _gradients(model).clone()
    model.zero_grad()

    local_loss = loss_fn(model(x[local]), model(y[local]), labels[local], gather=True)
    local_loss = local_loss * rows_per_rank[rank()] if sum_losses else local_loss
    local_loss.backward()
    if sum_losses:  # the gradient of a sum of per-rank losses: sum the gradients
        for p in model.parameters():
            dist.all_reduce(p.grad)
    else:
        _average_gradients(model)
    combined = local_loss.detach().clone()
    dist.all_reduce(combined)
    combined = combined if sum_losses else combined / world_size()
    return {"loss": abs(float(combined - full)), "grad": _max_difference(_gradients(model), expected)}


def moco_under_ddp() -> dict:
    """MoCo v2 with shuffled BatchNorm, trained with DDP: EMA key encoder and queue identical on all ranks.
    Runs in its own function so the DDP wrapper (and its reducer threads) is freed before the group ends."""
    results: dict[str, object] = {}
    torch.manual_seed(0)
    encoder = nn.Sequential(nn.Linear(8, 16), nn.BatchNorm1d(16), nn.ReLU())
    method = MoCo(encoder, 16, projection_dim=4, hidden_dim=16, queue_size=20, momentum=0.9)
    model = nn.parallel.DistributedDataParallel(method)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    torch.manual_seed(100 + rank())  # different data on each rank
    for step in range(4):
        x = torch.randn(6, 8)
        loss, _ = model(x + 0.1 * torch.randn_like(x), x + 0.1 * torch.randn_like(x))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        method.on_step_end(step)
    target = torch.cat([p.flatten() for p in method.key_encoder.target.parameters()])
    online = torch.cat([p.detach().flatten() for p in method.encoder.parameters()])
    all_targets = all_gather_no_grad(target[None])
    all_queues = all_gather_no_grad(method.queue.read().flatten()[None])
    results["ema_rank_difference"] = _max_difference(all_targets[0], all_targets[1])
    results["queue_rank_difference"] = _max_difference(all_queues[0], all_queues[1])
    results["queue_filled"] = len(method.queue)
    results["ema_moved"] = _max_difference(target[: online.numel()], online) > 0

    return results


def main() -> None:
    dist.init_process_group("gloo")
    results: dict[str, object] = {"rank": rank(), "world_size": world_size()}

    def info_nce_fn(q, k, labels, gather):
        return info_nce(q, k, temperature=0.3, gather=gather)

    def supcon_fn(q, k, labels, gather):
        return info_nce(q, k, temperature=0.3, labels=labels, symmetric=True, gather=gather)

    def nt_xent_fn(a, b, labels, gather):
        return nt_xent(a, b, temperature=0.3, gather=gather)

    def chunked_fn(a, b, labels, gather):
        return nt_xent(a, b, temperature=0.3, gather=gather, chunk_size=3)

    results["info_nce_equal"] = gathered_loss_equals_full_batch(info_nce_fn, [4, 4], sum_losses=False)
    results["info_nce_unequal"] = gathered_loss_equals_full_batch(info_nce_fn, [3, 5], sum_losses=True)
    results["supcon_unequal"] = gathered_loss_equals_full_batch(supcon_fn, [5, 3], sum_losses=True)
    results["nt_xent_equal"] = gathered_loss_equals_full_batch(nt_xent_fn, [4, 4], sum_losses=False)
    results["nt_xent_chunked"] = gathered_loss_equals_full_batch(chunked_fn, [4, 4], sum_losses=False)
    results["rank_offset"] = rank_offset(3 + 2 * rank())

    # Queue: each rank enqueues its own keys; both must hold rank 0's then rank 1's.
    queue = MomentumQueue(size=7, dim=2, store_labels=True)
    for step in range(3):
        keys = torch.full((3, 2), float(10 * step + rank()))
        queue.enqueue(keys, labels=torch.full((3,), rank()))
    results["queue_keys"] = queue.read()[:, 0].tolist()
    results["queue_labels"] = queue.read_labels().tolist()
    results["queue_pointer"] = int(queue.pointer)

    results |= moco_under_ddp()

    Path(sys.argv[1], f"rank{rank()}.json").write_text(json.dumps(results))
    gc.collect()
    dist.barrier()
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
