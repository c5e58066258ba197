"""TS2Vec as an mmcl method: the hierarchical contrastive loss on the overlap of two crops.

The adapter's ``make_views`` (with ``views: overlapping-crops``) draws TS2Vec's two overlapping crops of each
batch and masks timestamps of each crop independently; each view is a dict with ``input_values`` (the
crop) and ``overlap_start`` / ``overlap_length`` (0-d integer tensors: where the shared timestamps lie in
that crop). The method encodes both crops to per-timestamp representations, keeps the overlap and applies
``mmcl.losses.hierarchical_contrastive_loss`` (instance + temporal terms over max-pooled scales).

One deviation from the reference: TS2Vec masks timestamps of the latent after its input projection; here
the input timestamps are masked (zeroed) instead, so that any time-series encoder works unchanged.

Reference:
    Yue et al., "TS2Vec: Towards Universal Representation of Time Series", AAAI 2022.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch

from mmcl.adapters.timeseries.time_series_encoder import TimeSeriesEncoder
from mmcl.losses import hierarchical_contrastive_loss
from mmcl.methods.base import ContrastiveMethod, embedding_std


class TS2Vec(ContrastiveMethod):
    """TS2Vec's hierarchical contrastive learning over a `TimeSeriesEncoder`.

    Args:
        encoder: the encoder; its ``timestamps(batch)`` gives ``(batch, time, hidden)``.
        feature_dim: unused (the loss works on the representation itself; no head); kept for the registry.
        alpha: weight of the instance term (the temporal term gets ``1 - alpha``).
        temporal_unit: the temporal term starts at this depth of the max-pool hierarchy.

    Example:
        >>> from mmcl.adapters.timeseries import TS2VecConfig, TS2VecModel
        >>> encoder = TimeSeriesEncoder(TS2VecModel(TS2VecConfig(hidden_size=16, conv_channels=8, depth=2)))
        >>> view = {"input_values": torch.randn(4, 1, 30), "overlap_start": torch.tensor(0),
        ...         "overlap_length": torch.tensor(20)}
        >>> loss, logs = TS2Vec(encoder, 16)(view, view)
    """

    def __init__(
        self, encoder: TimeSeriesEncoder, feature_dim: int, *, alpha: float = 0.5, temporal_unit: int = 0
    ) -> None:
        super().__init__()
        if not hasattr(encoder, "timestamps"):
            raise TypeError(
                f"ts2vec needs per-timestamp representations; got {type(encoder).__name__} without "
                "timestamps(batch) — use the timeseries adapter's encoder"
            )
        if not 0.0 <= alpha <= 1.0:
            raise ValueError(f"ts2vec: alpha must be in [0, 1], got {alpha}")
        self.encoder = encoder
        self.alpha = alpha
        self.temporal_unit = temporal_unit

    def forward(
        self, view_a: Mapping[str, torch.Tensor], view_b: Mapping[str, torch.Tensor]
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        z_a = _overlap(self.encoder.timestamps(view_a["input_values"]), view_a)
        z_b = _overlap(self.encoder.timestamps(view_b["input_values"]), view_b)
        if z_a.shape != z_b.shape:
            raise ValueError(
                f"ts2vec: the two views' overlaps differ in shape, {tuple(z_a.shape)} vs {tuple(z_b.shape)}; "
                "the views must come from OverlappingCropPair (adapter views: overlapping-crops)"
            )
        loss = hierarchical_contrastive_loss(z_a, z_b, alpha=self.alpha, temporal_unit=self.temporal_unit)
        return loss, {"loss": loss.detach(), "embedding_std": embedding_std(z_a.amax(dim=1))}


def _overlap(timestamps: torch.Tensor, view: Mapping[str, torch.Tensor]) -> torch.Tensor:
    """The overlap's timestamps ``(batch, overlap_length, hidden)`` of one view's representation."""
    start, length = int(view["overlap_start"]), int(view["overlap_length"])
    return timestamps[:, start : start + length]
