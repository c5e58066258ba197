"""Which candidates are positives of which query rows, and the finite value that masks a logit."""

from __future__ import annotations

import torch

MASKED = torch.finfo(torch.float32).min
"""Logit of a masked candidate: the float32 finite minimum, so softmax gives it exactly zero without the
NaNs that ``-inf`` arithmetic produces."""


def positive_mask(
    rows: slice,
    columns: int,
    targets: torch.Tensor | None,
    query_labels: torch.Tensor | None,
    candidate_labels: torch.Tensor | None,
    excluded: torch.Tensor | None,
) -> torch.Tensor:
    """Boolean ``(len(rows), columns)`` mask of the positive candidates of the given query rows.

    Either ``targets`` (one positive column per row) or ``query_labels`` / ``candidate_labels`` (every
    same-label candidate is a positive, except the row's ``excluded`` column) define the positives.
    """
    if targets is not None:
        target = targets[rows]
        mask = torch.zeros(target.shape[0], columns, dtype=torch.bool, device=target.device)
        return mask.scatter_(1, target[:, None], True)
    mask = query_labels[rows, None] == candidate_labels[None, :]
    if excluded is not None:
        mask.scatter_(1, excluded[rows, None], False)
    return mask
