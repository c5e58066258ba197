"""False negatives from repeated texts: rows of a batch that share a text get one label, so InfoNCE treats
them as positives of each other instead of pushing them apart.

A text that occurs in two rows of a contrastive batch — the same anchor with two paraphrases, the same
sentence as one row's positive and another row's anchor, the same sentence twice in a SimCSE batch — makes
the other row's embedding a negative that is really a positive. Sentence-transformers avoids this with a
batch sampler that keeps duplicates apart; here the batch stays as it is and every row sharing a text (through
any chain of shared texts) gets the same label, which the core's multi-positive InfoNCE (``labels=``) counts as
positives and never as negatives. Extra candidates — hard negatives, queue entries — that repeat a row's text
get that row's label (`labels_of_texts`).

Example:
    >>> anchors, positives = torch.tensor([1, 2, 1, 5]), torch.tensor([3, 4, 6, 2])
    >>> shared_text_labels(anchors, positives).tolist()  # rows 0 and 2 share text 1; rows 1 and 3 text 2
    [0, 1, 0, 1]
"""

from __future__ import annotations

import torch


def shared_text_labels(anchor_ids: torch.Tensor, positive_ids: torch.Tensor) -> torch.Tensor:
    """``(N,)`` labels: rows connected by shared texts (anchor or positive, any chain) share the smallest row
    index among them; a row sharing nothing keeps its own index.

    Args:
        anchor_ids: ``(N,)`` text ids of the first texts (`text_ids`).
        positive_ids: ``(N,)`` text ids of the second texts.
    """
    rows = anchor_ids.shape[0]
    texts = torch.stack([anchor_ids, positive_ids], dim=1)
    connected = (texts[:, None, :, None] == texts[None, :, None, :]).flatten(2).any(dim=2)
    labels = torch.arange(rows, device=anchor_ids.device)
    while True:  # propagate the smallest index along connections; converges in (longest chain) steps
        spread = torch.where(connected, labels[None, :], rows).min(dim=1).values
        if torch.equal(spread, labels):
            return labels
        labels = spread


def labels_of_texts(
    ids: torch.Tensor, anchor_ids: torch.Tensor, positive_ids: torch.Tensor, row_labels: torch.Tensor
) -> torch.Tensor:
    """Labels of extra candidates: the label of a row whose anchor or positive is the same text, else -1.

    Args:
        ids: ``(K,)`` text ids of the candidates (hard negatives, queue entries).
        anchor_ids: ``(N,)`` text ids of the rows' first texts.
        positive_ids: ``(N,)`` text ids of the rows' second texts.
        row_labels: ``(N,)`` the rows' labels (`shared_text_labels`).
    """
    texts = torch.stack([anchor_ids, positive_ids], dim=1)
    matches = (ids[:, None, None] == texts[None, :, :]).any(dim=2)  # (K, N)
    first_match = matches.to(torch.int8).argmax(dim=1)
    return torch.where(matches.any(dim=1), row_labels[first_match], torch.full_like(first_match, -1))
