"""Run under `torchrun --nproc_per_node 2`: text-infonce with ``gather`` — repeated texts across ranks and every
rank's hard negatives, encoded in one pass and in GradCache chunks — against one process on the whole batch.
Writes rank{N}.json into argv[1]."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import torch
import torch.distributed as dist
from torch import nn

from mmcl.adapters.text import TextInfoNCE
from mmcl.distributed import rank, world_size

ROWS, NEGATIVES, LENGTH, VOCAB = 6, 2, 5, 50


class BagOfTokens(nn.Module):
    """A tiny stand-in encoder: mean of token embeddings over the attended positions."""

    def __init__(self) -> None:
        super().__init__()
        self.embedding = nn.Embedding(VOCAB, 8)

    def forward(self, tokens: dict[str, torch.Tensor]) -> torch.Tensor:
        mask = tokens["attention_mask"].unsqueeze(-1).float()
        return (self.embedding(tokens["input_ids"]) * mask).sum(1) / mask.sum(1)


def global_batch() -> tuple[dict, dict]:
    """Token ids are drawn per text id, so a repeated text has the same tokens wherever it appears."""
    generator = torch.Generator().manual_seed(0)
    texts = torch.randint(1, VOCAB, (40, LENGTH), generator=generator)
    anchor_ids = torch.tensor([0, 1, 2, 3, 4, 5, 6, 7, 1, 9, 10, 11])  # row 8 (rank 1) repeats row 1's anchor
    positive_ids = torch.tensor([12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23])
    negative_ids = torch.arange(24, 48).view(12, NEGATIVES) % 40
    negative_ids[10, 0] = 13  # a hard negative on rank 1 is row 1's positive (rank 0)

    def tokens(ids: torch.Tensor) -> dict[str, torch.Tensor]:
        return {"input_ids": texts[ids], "attention_mask": torch.ones(*ids.shape, LENGTH, dtype=torch.long)}

    view_a = {**tokens(anchor_ids), "text_ids": anchor_ids}
    negatives = tokens(negative_ids)
    view_b = {**tokens(positive_ids), "text_ids": positive_ids, "negative_text_ids": negative_ids}
    view_b |= {f"negative.{k}": v for k, v in negatives.items()}
    return view_a, view_b


def main(out_dir: Path) -> None:
    dist.init_process_group("gloo")
    torch.manual_seed(0)
    encoder = BagOfTokens()
    view_a, view_b = global_batch()
    full, _ = TextInfoNCE(encoder, 8, temperature=0.1, gather=False)(view_a, view_b)
    full.backward()
    expected = encoder.embedding.weight.grad.clone()

    local = slice(rank() * ROWS, (rank() + 1) * ROWS)
    local_views = [{k: v[local] for k, v in view.items()} for view in (view_a, view_b)]
    result = {}
    for name, chunk_size in (("one_pass", None), ("gradcache", 4)):
        encoder.zero_grad()
        method = TextInfoNCE(encoder, 8, temperature=0.1, gather=True, gradcache_chunk_size=chunk_size)
        loss, _ = method(*local_views)
        loss.backward()
        gradient = encoder.embedding.weight.grad
        dist.all_reduce(gradient)
        gradient /= world_size()  # what DDP does
        mean_loss = loss.detach().clone()
        dist.all_reduce(mean_loss)
        mean_loss /= world_size()
        result[name] = {
            "loss": float((mean_loss - full).abs()),
            "grad": float((gradient - expected).abs().max()),
        }
    (out_dir / f"rank{rank()}.json").write_text(json.dumps(result))
    dist.destroy_process_group()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
