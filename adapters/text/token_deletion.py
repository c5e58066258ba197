"""Token deletion: drop each content token with a probability (special tokens stay), batched on the device.

Every row keeps at least one content token. Draws from the global random stream of the batch's device.

Reference:
    Wu et al., "CLEAR: Contrastive Learning for Sentence Representation", 2020 (word deletion).

Example:
    >>> delete = TokenDeletion(0.1, special_ids=[0, 101, 102], pad_id=0)
    >>> ids = torch.tensor([[101, 7, 8, 9, 102]])
    >>> delete({"input_ids": ids, "attention_mask": torch.ones_like(ids)})["input_ids"].shape[1] <= 5
    True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch

from mmcl.adapters.text.token_selection import content_mask, keep_tokens


class TokenDeletion:
    """Delete each content token independently with ``probability``.

    Args:
        probability: chance that a content token is deleted, in ``[0, 1)``.
        special_ids: the tokenizer's special token ids (never deleted).
        pad_id: the tokenizer's padding id.
    """

    def __init__(self, probability: float, *, special_ids: Sequence[int], pad_id: int) -> None:
        if not 0.0 <= probability < 1.0:
            raise ValueError(f"deletion probability must be in [0, 1), got {probability!r}")
        self.probability = probability
        self.special_ids = list(special_ids)
        self.pad_id = pad_id

    def __call__(self, tokens: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        content = content_mask(tokens, self.special_ids)
        draws = torch.rand(content.shape, device=content.device)
        deleted = content & (draws < self.probability)
        # A row that would lose every content token keeps the one with the highest draw.
        emptied = (content & ~deleted).sum(dim=1) == 0
        rescued = torch.zeros_like(deleted).scatter_(
            1, draws.masked_fill(~content, -1).argmax(dim=1, keepdim=True), True
        )
        deleted &= ~(rescued & emptied[:, None])
        return keep_tokens(tokens, tokens["attention_mask"].bool() & ~deleted, pad_id=self.pad_id)
