"""Dataset rows to a CPU batch of two text views (`text_views`): tokenized, with text ids, scores, negatives.

- single texts (``text``): both views are the same tokens — the views differ once the adapter augments them
  on the device (dropout alone for SimCSE);
- pairs: the first view is the anchors, the second the positives, with ``scores`` and hard negatives when the
  rows have them.

Deterministic (tokenizing and hashing only), so it may run in DataLoader worker processes.

Example:
    >>> collate = TextCollator(encoder.tokenize, max_length=128)  # doctest: +SKIP
    >>> batch = collate([{"anchor": "A cat.", "positive": "A kitten."}, {"anchor": "Rain.", "positive": "Wet."}])  # doctest: +SKIP
    >>> sorted(batch["b"])  # doctest: +SKIP
    ['attention_mask', 'input_ids', 'text_ids', 'token_type_ids']
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch

from mmcl.adapters.text.text_ids import text_ids
from mmcl.adapters.text.text_views import SCORES, TEXT_IDS, with_negatives

Tokenize = Callable[..., dict[str, torch.Tensor]]
"""``tokenize(texts, max_length=L)`` → token tensors padded to the longest text (`SentenceEncoder.tokenize`)."""


class TextCollator:
    """Turn dataset rows into ``{"a": view, "b": view}``.

    Args:
        tokenize: tokenizes a list of texts, ``tokenize(texts, max_length=L)``.
        max_length: tokens per text (longer texts are truncated; the adapter reports how many).
    """

    def __init__(self, tokenize: Tokenize, max_length: int) -> None:
        self.tokenize = tokenize
        self.max_length = max_length

    def _view(self, texts: Sequence[str]) -> dict[str, torch.Tensor]:
        return {**self.tokenize(list(texts), max_length=self.max_length), TEXT_IDS: text_ids(texts)}

    def __call__(self, examples: list[dict[str, Any]]) -> dict[str, dict[str, torch.Tensor]]:
        if "text" in examples[0]:
            view = self._view([example["text"] for example in examples])
            return {"a": view, "b": view}
        first = self._view([example["anchor"] for example in examples])
        second = self._view([example["positive"] for example in examples])
        if "score" in examples[0]:
            second[SCORES] = torch.tensor([example["score"] for example in examples], dtype=torch.float32)
        if "negatives" in examples[0]:
            negatives = [text for example in examples for text in example["negatives"]]
            tokens = self.tokenize(negatives, max_length=self.max_length)
            with_negatives(second, tokens, len(examples), text_ids(negatives).view(len(examples), -1))
        return {"a": first, "b": second}
