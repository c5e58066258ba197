"""Token crop: keep one random contiguous window of each row's content tokens (special tokens stay).

The window is a fraction of the row's content tokens (``ratio``; a crop of a sentence) or a fixed number of
tokens (``length``; a span of a document — two independent crops of one long document are the "two spans of
one document" positive pair). Rows shorter than the window are kept whole. Batched, on the device.

Reference:
    Meng et al., "COCO-LM", NeurIPS 2021, and Giorgi et al., "DeCLUTR", ACL 2021 (spans of one document).

Example:
    >>> crop = TokenCrop(special_ids=[0, 101, 102], pad_id=0, length=2)
    >>> ids = torch.tensor([[101, 7, 8, 9, 10, 102]])
    >>> crop({"input_ids": ids, "attention_mask": torch.ones_like(ids)})["input_ids"].shape
    torch.Size([1, 4])
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch

from mmcl.adapters.text.token_selection import content_mask, keep_tokens


class TokenCrop:
    """Keep a random window of ``ratio`` of each row's content tokens, or of ``length`` tokens.

    Args:
        special_ids: the tokenizer's special token ids (always kept).
        pad_id: the tokenizer's padding id.
        ratio: the window's share of the row's content tokens, in ``(0, 1]`` (at least one token).
        length: the window's number of tokens, >= 1. Give exactly one of ``ratio`` and ``length``.
    """

    def __init__(
        self,
        *,
        special_ids: Sequence[int],
        pad_id: int,
        ratio: float | None = None,
        length: int | None = None,
    ) -> None:
        if (ratio is None) == (length is None):
            raise ValueError(
                "TokenCrop takes exactly one of ratio (a share of the tokens) and length (a count)"
            )
        if ratio is not None and not 0.0 < ratio <= 1.0:
            raise ValueError(f"crop ratio must be in (0, 1], got {ratio!r}")
        if length is not None and length < 1:
            raise ValueError(f"crop length must be >= 1, got {length!r}")
        self.special_ids = list(special_ids)
        self.pad_id = pad_id
        self.ratio = ratio
        self.length = length

    def __call__(self, tokens: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        content = content_mask(tokens, self.special_ids)
        available = content.sum(dim=1)
        if self.ratio is not None:
            window = (available.float() * self.ratio).round().long().clamp_min(1)
        else:
            window = torch.full_like(available, self.length)
        window = torch.minimum(window, available)
        start = (torch.rand(available.shape, device=content.device) * (available - window + 1)).long()
        position = content.long().cumsum(dim=1) - 1  # index of each content token among its row's content
        inside = (position >= start[:, None]) & (position < (start + window)[:, None])
        keep = tokens["attention_mask"].bool() & (~content | inside)
        return keep_tokens(tokens, keep, pad_id=self.pad_id)
