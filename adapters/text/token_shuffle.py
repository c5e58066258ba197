"""Token shuffle: permute each row's content tokens at random (special tokens and padding stay in place).

Batched on the device: a random sort key per content token gives the permutation of every row at once.

Reference:
    Yan et al., "ConSERT", ACL 2021 (token shuffling).

Example:
    >>> shuffle = TokenShuffle(special_ids=[0, 101, 102])
    >>> ids = torch.tensor([[101, 7, 8, 9, 102]])
    >>> sorted(shuffle({"input_ids": ids, "attention_mask": torch.ones_like(ids)})["input_ids"][0].tolist())
    [7, 8, 9, 101, 102]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch

from mmcl.adapters.text.token_selection import content_mask


class TokenShuffle:
    """Shuffle the content tokens of every row.

    Args:
        special_ids: the tokenizer's special token ids (kept in place).
    """

    def __init__(self, *, special_ids: Sequence[int]) -> None:
        self.special_ids = list(special_ids)

    def __call__(self, tokens: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        content = content_mask(tokens, self.special_ids)
        positions = torch.arange(content.shape[1], device=content.device).expand_as(content).float()
        infinity = torch.full_like(positions, float("inf"))
        # Stable sorts put the non-content positions last, in the same order in both, so they map to themselves.
        sources = torch.argsort(
            torch.where(content, torch.rand_like(positions), infinity), dim=1, stable=True
        )
        targets = torch.argsort(torch.where(content, positions, infinity), dim=1, stable=True)
        input_ids = tokens["input_ids"].scatter(1, targets, tokens["input_ids"].gather(1, sources))
        return {**tokens, "input_ids": input_ids}
