"""What the token augmentations share: which tokens are content, and keeping a subset of a batch's tokens.

A batch's token tensors are right-padded ``(N, L)`` rows (``input_ids``, ``attention_mask``, and possibly
``token_type_ids``). Content tokens are the attended tokens that are not special (``[CLS]``, ``[SEP]``, ...).
`keep_tokens` moves the kept tokens of every row to the front in their order, pads the rest and trims the
width to the longest row — batched, on the tensors' device, without a Python loop over rows.

Example:
    >>> ids = torch.tensor([[101, 7, 8, 9, 102]])
    >>> kept = keep_tokens({"input_ids": ids, "attention_mask": torch.ones_like(ids)},
    ...                    torch.tensor([[True, False, True, True, True]]), pad_id=0)
    >>> kept["input_ids"].tolist(), kept["attention_mask"].tolist()
    ([[101, 8, 9, 102]], [[1, 1, 1, 1]])
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch


def content_mask(tokens: Mapping[str, torch.Tensor], special_ids: Sequence[int]) -> torch.Tensor:
    """``(N, L)`` bool: attended tokens that are not special tokens."""
    input_ids = tokens["input_ids"]
    special = torch.isin(
        input_ids, torch.tensor(list(special_ids), device=input_ids.device, dtype=input_ids.dtype)
    )
    return tokens["attention_mask"].bool() & ~special


def keep_tokens(
    tokens: Mapping[str, torch.Tensor], keep: torch.Tensor, *, pad_id: int
) -> dict[str, torch.Tensor]:
    """The tokens where ``keep`` is True, moved to the front of each row in order; the rest padded.

    Args:
        tokens: ``(N, L)`` token tensors, ``input_ids`` and ``attention_mask`` among them.
        keep: ``(N, L)`` bool; padding positions must be False.
        pad_id: the tokenizer's padding id, written after each row's kept tokens.

    Returns:
        The same keys, ``(N, L')`` with ``L'`` the largest number of kept tokens of a row.
    """
    order = torch.argsort((~keep).to(torch.int8), dim=1, stable=True)
    counts = keep.sum(dim=1)
    width = max(int(counts.max()), 1)
    order = order[:, :width]
    valid = torch.arange(width, device=keep.device)[None, :] < counts[:, None]
    kept = {}
    for name, value in tokens.items():
        gathered = value.gather(1, order)
        if name == "attention_mask":
            kept[name] = valid.to(value.dtype)
        else:
            kept[name] = torch.where(valid, gathered, pad_id if name == "input_ids" else 0)
    return kept
