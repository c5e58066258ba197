"""What the text methods share: chunked (GradCache) encoding through the core's `encode_in_chunks`, and the
labels that keep repeated texts from being negatives, consistent across processes.

A text method is a `mmcl.methods.ContrastiveMethod` taking the text adapter's views (`text_views`):
``loss, logs = method(view_a, view_b)``; its ``encoder`` is the `SentenceEncoder` that gets saved.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

import torch
from torch import nn

from mmcl.adapters.text.shared_texts import labels_of_texts, shared_text_labels
from mmcl.adapters.text.text_views import TEXT_IDS, required, without_padding_columns
from mmcl.distributed import all_gather_no_grad, rank_offset
from mmcl.gradcache import encode_in_chunks
from mmcl.methods import ContrastiveMethod


class FalseNegativeLabels:
    """Labels for multi-positive InfoNCE so that repeated texts are never negatives of each other.

    Attributes:
        rows: ``(N,)`` labels of this process's rows (`shared_text_labels` over the whole gathered batch).
        extras: ``(K,)`` labels of extra candidates (hard negatives, queue entries); -1 for a text no row has.
        needed: False when no text repeats anywhere — plain InfoNCE (``labels=None``) then gives the same loss,
            cheaper. Decided from gathered data, so every process takes the same branch (and collective).
    """

    def __init__(
        self,
        anchor_ids: torch.Tensor,
        positive_ids: torch.Tensor,
        extra_ids: torch.Tensor | None = None,
        *,
        gather: bool = False,
    ) -> None:
        local_rows = anchor_ids.shape[0]
        if gather:
            anchor_ids, positive_ids = all_gather_no_grad(anchor_ids), all_gather_no_grad(positive_ids)
        labels = shared_text_labels(anchor_ids, positive_ids)
        offset = rank_offset(local_rows, anchor_ids.device) if gather else 0
        self.rows = labels[offset : offset + local_rows]
        self.extras = (
            None if extra_ids is None else labels_of_texts(extra_ids, anchor_ids, positive_ids, labels)
        )
        repeats = not torch.equal(labels, torch.arange(labels.shape[0], device=labels.device))
        self.needed = repeats or (self.extras is not None and bool((self.extras >= 0).any()))
        self.shared_rows = int((labels.bincount()[labels] > 1).sum())


class TextMethod(ContrastiveMethod):
    """Base of the text methods.

    Args:
        encoder: the `SentenceEncoder` (any module mapping token tensors to ``(N, D)``).
        gradcache_chunk_size: encode at most this many texts per forward pass, recomputing activations in
            backward (GradCache, `mmcl.gradcache.encode_in_chunks`: exact gradients of the whole batch with
            one chunk's activation memory; each chunk drops its all-padding columns first); None encodes each
            view in one pass.
    """

    display_name: ClassVar[str]
    """The method's name in the model card, e.g. ``"InfoNCE"``."""

    def __init__(self, encoder: nn.Module, *, gradcache_chunk_size: int | None = None) -> None:
        super().__init__()
        if gradcache_chunk_size is not None and gradcache_chunk_size < 1:
            raise ValueError(f"gradcache_chunk_size must be >= 1 (or null), got {gradcache_chunk_size}")
        self.encoder = encoder
        self.gradcache_chunk_size = gradcache_chunk_size

    def embed(self, tokens: Mapping[str, torch.Tensor]) -> torch.Tensor:
        """Sentence embeddings of token tensors, chunked when ``gradcache_chunk_size`` is set."""
        return encode_in_chunks(self._encode_trimmed, tokens, self.gradcache_chunk_size)

    def _encode_trimmed(self, tokens: Mapping[str, torch.Tensor]) -> torch.Tensor:
        return self.encoder(without_padding_columns(tokens))

    def text_ids(self, view: Mapping[str, torch.Tensor]) -> torch.Tensor:
        """The view's ``text_ids`` (ids of its texts, for false-negative labels)."""
        return required(view, TEXT_IDS, type(self).__name__, "build the views with the text adapter")
