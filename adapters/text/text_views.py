"""The layout of a text view: what the text adapter's ``make_views`` gives the methods.

A view is a flat mapping of tensors with ``N`` rows:

- the tokenizer's tensors (``input_ids``, ``attention_mask``, ...), ``(N, L)`` — all that an encoder reads;
- ``text_ids`` ``(N,)``: stable ids of the texts (`text_ids`), to recognise duplicates (false negatives);
- on the second view of scored pairs, ``scores`` ``(N,)``;
- on the second view of rows with hard negatives, ``negative.<name>`` ``(N, M, L')`` token tensors and
  ``negative_text_ids`` ``(N, M)``.

Because the token tensors sit at the top level, any encoder taking a tokenizer's output — and so the core
methods — can read a view directly; the extras are what the text methods add on top.

Example:
    >>> view = {"input_ids": torch.ones(2, 4, dtype=torch.long), "attention_mask": torch.ones(2, 4),
    ...         "text_ids": torch.tensor([7, 9]), "scores": torch.tensor([4.0, 1.5])}
    >>> sorted(view_tokens(view))
    ['attention_mask', 'input_ids']
"""

from __future__ import annotations

from collections.abc import Mapping

import torch

TEXT_IDS = "text_ids"
SCORES = "scores"
NEGATIVE_PREFIX = "negative."
NEGATIVE_TEXT_IDS = "negative_text_ids"

_EXTRAS = (TEXT_IDS, SCORES, NEGATIVE_TEXT_IDS)


def view_tokens(view: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The view's token tensors, ``(N, L)`` each."""
    return {k: v for k, v in view.items() if k not in _EXTRAS and not k.startswith(NEGATIVE_PREFIX)}


def negative_tokens(view: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor] | None:
    """The view's hard negatives as token tensors of ``N * M`` rows (row-major: row i's M negatives in turn),
    or None when the view has none."""
    tokens = {
        k[len(NEGATIVE_PREFIX) :]: v.flatten(0, 1) for k, v in view.items() if k.startswith(NEGATIVE_PREFIX)
    }
    return tokens or None


def with_negatives(
    view: dict[str, torch.Tensor], tokens: Mapping[str, torch.Tensor], rows: int, ids: torch.Tensor
) -> dict[str, torch.Tensor]:
    """``view`` plus hard negatives given as ``rows * M`` token rows and their ``(rows, M)`` ids."""
    for name, value in tokens.items():
        view[NEGATIVE_PREFIX + name] = value.view(rows, -1, *value.shape[1:])
    view[NEGATIVE_TEXT_IDS] = ids
    return view


def without_padding_columns(tokens: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """``tokens`` without the trailing columns that are padding in every row (``attention_mask`` 0).

    A chunk of a batch, or a view after token deletion, is padded to a width that none of its rows may
    need; the encoder's cost grows with that width. Left padding keeps every column (the last one is text).

    Example:
        >>> trimmed = without_padding_columns({"input_ids": torch.tensor([[5, 6, 0], [7, 0, 0]]),
        ...                                    "attention_mask": torch.tensor([[1, 1, 0], [1, 0, 0]])})
        >>> trimmed["input_ids"].tolist()
        [[5, 6], [7, 0]]
    """
    mask = tokens.get("attention_mask")
    if mask is None or mask.ndim != 2 or not bool(mask.any()):
        return dict(tokens)
    width = int(mask.any(dim=0).nonzero().max()) + 1
    columns = mask.shape[1]
    return {k: v[:, :width] if v.ndim >= 2 and v.shape[1] == columns else v for k, v in tokens.items()}


def required(view: Mapping[str, torch.Tensor], key: str, method: str, fix: str) -> torch.Tensor:
    """``view[key]``, or a ValueError saying what the method needs from the data."""
    if key not in view:
        raise ValueError(f"{method} needs `{key}` in the views, which this data does not give; {fix}")
    return view[key]
