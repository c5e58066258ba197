"""`TimeSeriesEncoder`: a time-series `transformers` model as the ``(N, D)`` encoder the methods expect.

The engine's methods (SimCLR, MoCo, BYOL) map a batch to one vector per series; the time-series models
return per-timestamp states and a pooled vector. This wrapper returns the pooled vector and, for TS2Vec's
hierarchical loss, exposes the per-timestamp states; ``model`` is what gets published.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import nn
from transformers import PreTrainedModel

SeriesBatch = torch.Tensor | Mapping[str, torch.Tensor]
"""A ``(batch, leads, time)`` tensor, or a mapping with ``input_values`` and optionally ``attention_mask``."""


class TimeSeriesEncoder(nn.Module):
    """Wrap a time-series ``PreTrainedModel`` (``TS2VecModel``, ``ResNet1dModel``, ...) as an ``(N, D)`` encoder.

    Args:
        model: a model called as ``model(input_values, attention_mask=None)`` that returns
            ``last_hidden_state`` ``(batch, time', hidden)`` and ``pooler_output`` ``(batch, hidden)``.

    Example:
        >>> from mmcl.adapters.timeseries import TS2VecConfig, TS2VecModel
        >>> encoder = TimeSeriesEncoder(TS2VecModel(TS2VecConfig(hidden_size=16, conv_channels=8, depth=2)))
        >>> encoder(torch.randn(4, 1, 50)).shape
        torch.Size([4, 16])
    """

    def __init__(self, model: PreTrainedModel) -> None:
        super().__init__()
        self.model = model

    @property
    def feature_dim(self) -> int:
        """Size of the pooled representation (the model's ``hidden_size``)."""
        return int(self.model.config.hidden_size)

    def forward(self, batch: SeriesBatch) -> torch.Tensor:
        """The pooled ``(batch, hidden)`` representation of each series."""
        return self._outputs(batch).pooler_output

    def timestamps(self, batch: SeriesBatch) -> torch.Tensor:
        """The per-timestamp ``(batch, time', hidden)`` representation of each series."""
        return self._outputs(batch).last_hidden_state

    def _outputs(self, batch: SeriesBatch):
        if isinstance(batch, Mapping):
            return self.model(batch["input_values"], attention_mask=batch.get("attention_mask"))
        return self.model(batch)
