"""TS2Vec's dilated temporal CNN as a `transformers` model: `TS2VecConfig` and `TS2VecModel`.

The encoder of Yue et al., "TS2Vec: Towards Universal Representation of Time Series" (AAAI 2022): a linear
input projection per timestamp, then stacked residual blocks of two dilated convolutions with GELU
(dilation ``2**i`` in block ``i``), giving one representation of size ``hidden_size`` per input timestamp.
The instance embedding (``pooler_output``) is the max over valid timestamps, as TS2Vec's
``encoding_window="full_series"``. TS2Vec's training-time timestamp masking is an augmentation
(``TimestampMasking``), not part of ``forward``.

This file is self-contained (torch, transformers and the standard library only): it is copied next to the
weights so that ``AutoModel.from_pretrained(folder, trust_remote_code=True)`` works without mmcl.

Example:
    >>> import torch
    >>> config = TS2VecConfig(num_leads=2, hidden_size=32, conv_channels=16, depth=3)
    >>> model = TS2VecModel(config).eval()
    >>> out = model(torch.randn(4, 2, 100), attention_mask=torch.ones(4, 100))
    >>> out.last_hidden_state.shape, out.pooler_output.shape
    (torch.Size([4, 100, 32]), torch.Size([4, 32]))
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F
from transformers import PretrainedConfig, PreTrainedModel
from transformers.modeling_outputs import BaseModelOutputWithPooling

_POOLINGS = ("max", "mean")


class TS2VecConfig(PretrainedConfig):
    """Configuration of `TS2VecModel` (defaults: the TS2Vec paper's encoder).

    Args:
        num_leads: Input channels (ECG leads, price features).
        hidden_size: Size of each timestamp's output representation (TS2Vec's ``output_dims``, 320).
        conv_channels: Width of the hidden dilated convolutions (TS2Vec's ``hidden_dims``, 64).
        depth: Number of hidden residual blocks (10); one more block maps to ``hidden_size``.
        kernel_size: Convolution kernel size (3).
        dropout: Dropout on the output representations during training (0.1).
        pooling: ``"max"`` (TS2Vec) or ``"mean"`` over valid timestamps for ``pooler_output``.

    Example:
        >>> config = TS2VecConfig(num_leads=12, hidden_size=320)
    """

    model_type = "mmcl_ts2vec"

    def __init__(
        self,
        num_leads: int = 1,
        hidden_size: int = 320,
        conv_channels: int = 64,
        depth: int = 10,
        kernel_size: int = 3,
        dropout: float = 0.1,
        pooling: str = "max",
        **kwargs,
    ) -> None:
        if pooling not in _POOLINGS:
            raise ValueError(f"TS2VecConfig: pooling must be one of {_POOLINGS}, got {pooling!r}")
        for name, value in (
            ("num_leads", num_leads),
            ("hidden_size", hidden_size),
            ("conv_channels", conv_channels),
        ):
            if value < 1:
                raise ValueError(f"TS2VecConfig: {name} must be >= 1, got {value}")
        if depth < 0 or kernel_size < 1:
            raise ValueError(
                f"TS2VecConfig: need depth >= 0 and kernel_size >= 1, got {depth} and {kernel_size}"
            )
        self.num_leads = num_leads
        self.hidden_size = hidden_size
        self.conv_channels = conv_channels
        self.depth = depth
        self.kernel_size = kernel_size
        self.dropout = dropout
        self.pooling = pooling
        super().__init__(**kwargs)


def _zero_padding(hidden: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """Zero the padded timestamps of ``hidden`` (batch, channels, time), so padding acts as zero padding."""
    return hidden if mask is None else hidden * mask[:, None, :].to(hidden.dtype)


class _SamePadConv(nn.Module):
    """Dilated convolution whose output has the input's length (TS2Vec's ``SamePadConv``)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, dilation: int) -> None:
        super().__init__()
        receptive_field = (kernel_size - 1) * dilation + 1
        self.conv = nn.Conv1d(
            in_channels, out_channels, kernel_size, padding=receptive_field // 2, dilation=dilation
        )
        self.trim = 1 if receptive_field % 2 == 0 else 0

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        out = self.conv(hidden)
        return out[:, :, : out.shape[-1] - self.trim]


class _DilatedConvBlock(nn.Module):
    """GELU -> dilated conv -> GELU -> dilated conv, plus a residual (projected when widths differ)."""

    def __init__(
        self, in_channels: int, out_channels: int, kernel_size: int, dilation: int, final: bool
    ) -> None:
        super().__init__()
        self.conv1 = _SamePadConv(in_channels, out_channels, kernel_size, dilation)
        self.conv2 = _SamePadConv(out_channels, out_channels, kernel_size, dilation)
        needs_projection = in_channels != out_channels or final
        self.projector = nn.Conv1d(in_channels, out_channels, 1) if needs_projection else None

    def forward(self, hidden: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        residual = hidden if self.projector is None else self.projector(hidden)
        out = _zero_padding(self.conv1(F.gelu(hidden)), mask)
        out = self.conv2(F.gelu(out))
        return _zero_padding(out + residual, mask)


class TS2VecPreTrainedModel(PreTrainedModel):
    """Weight initialisation and loading glue for `TS2VecModel` (PyTorch's default init, as TS2Vec)."""

    config_class = TS2VecConfig
    base_model_prefix = "ts2vec"
    main_input_name = "input_values"

    def _init_weights(self, module: nn.Module) -> None:
        if isinstance(module, (nn.Conv1d, nn.Linear)):
            module.reset_parameters()


class TS2VecModel(TS2VecPreTrainedModel):
    """TS2Vec encoder: ``(batch, leads, time)`` -> per-timestamp ``(batch, time, hidden_size)`` + pooled.

    Padded timestamps (``attention_mask == 0``) are zeroed after every convolution, so a padded series gives
    at its valid timestamps exactly what the unpadded series gives (in eval mode), and pooling ignores them.

    Example:
        >>> model = TS2VecModel(TS2VecConfig(num_leads=1, hidden_size=16, conv_channels=8, depth=2))
        >>> model(torch.randn(2, 1, 50)).pooler_output.shape
        torch.Size([2, 16])
    """

    def __init__(self, config: TS2VecConfig) -> None:
        super().__init__(config)
        self.input_projection = nn.Linear(config.num_leads, config.conv_channels)
        widths = [config.conv_channels] * config.depth + [config.hidden_size]
        self.blocks = nn.ModuleList(
            _DilatedConvBlock(
                config.conv_channels if i == 0 else widths[i - 1],
                width,
                config.kernel_size,
                dilation=2**i,
                final=i == len(widths) - 1,
            )
            for i, width in enumerate(widths)
        )
        self.representation_dropout = nn.Dropout(config.dropout)
        self.post_init()

    def forward(
        self,
        input_values: torch.Tensor,
        attention_mask: torch.Tensor | None = None,
        return_dict: bool | None = None,
    ) -> BaseModelOutputWithPooling | tuple[torch.Tensor, torch.Tensor]:
        """Encode a batch.

        Args:
            input_values: Float tensor ``(batch, leads, time)``.
            attention_mask: Optional ``(batch, time)``, 1 for valid timestamps and 0 for padding.
            return_dict: Return a ModelOutput (default) or a ``(last_hidden_state, pooler_output)`` tuple.

        Returns:
            ``last_hidden_state`` ``(batch, time, hidden_size)`` and ``pooler_output`` ``(batch, hidden_size)``.
        """
        mask = _validated_mask(input_values, attention_mask, self.config.num_leads)
        hidden = self.input_projection(input_values.transpose(1, 2)).transpose(1, 2)
        hidden = _zero_padding(hidden, mask)
        for block in self.blocks:
            hidden = block(hidden, mask)
        last_hidden_state = self.representation_dropout(hidden).transpose(1, 2)
        pooled = _pool(last_hidden_state, mask, self.config.pooling)
        return_dict = return_dict if return_dict is not None else self.config.return_dict
        if not return_dict:
            return last_hidden_state, pooled
        return BaseModelOutputWithPooling(last_hidden_state=last_hidden_state, pooler_output=pooled)


def _validated_mask(
    input_values: torch.Tensor, attention_mask: torch.Tensor | None, num_leads: int
) -> torch.Tensor | None:
    if input_values.ndim != 3 or input_values.shape[1] != num_leads:
        raise ValueError(
            f"TS2VecModel expects input_values of shape (batch, {num_leads}, time), got "
            f"{tuple(input_values.shape)}; transpose (batch, time, leads) inputs or set config.num_leads"
        )
    if attention_mask is None:
        return None
    if attention_mask.shape != (input_values.shape[0], input_values.shape[2]):
        raise ValueError(
            f"TS2VecModel expects attention_mask of shape (batch, time) = "
            f"{(input_values.shape[0], input_values.shape[2])}, got {tuple(attention_mask.shape)}"
        )
    return attention_mask.bool()


def _pool(hidden: torch.Tensor, mask: torch.Tensor | None, pooling: str) -> torch.Tensor:
    """Max or mean of ``hidden`` (batch, time, size) over the valid timestamps."""
    if mask is None:
        return hidden.amax(dim=1) if pooling == "max" else hidden.mean(dim=1)
    valid = mask[:, :, None]
    if pooling == "max":
        return hidden.masked_fill(~valid, torch.finfo(hidden.dtype).min).amax(dim=1)
    counts = valid.sum(dim=1).clamp(min=1).to(hidden.dtype)
    return (hidden * valid.to(hidden.dtype)).sum(dim=1) / counts
