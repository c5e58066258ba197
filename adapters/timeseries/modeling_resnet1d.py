"""A 1-D ResNet for multi-lead signals as a `transformers` model: `ResNet1dConfig` and `ResNet1dModel`.

A convolutional stem, then stages of basic residual blocks (two convolutions with BatchNorm and ReLU, a
1x1 projection shortcut where the width or stride changes), each stage after the first halving the time
axis — the 1-D ResNet used as the ECG baseline by e.g. Strodthoff et al., "Deep Learning for ECG Analysis:
Benchmarks and Insights from PTB-XL" (IEEE JBHI 2021), after He et al., "Deep Residual Learning" (2016).

This file is self-contained (torch, transformers and the standard library only): it is copied next to the
weights so that ``AutoModel.from_pretrained(folder, trust_remote_code=True)`` works without mmcl.

Example:
    >>> import torch
    >>> config = ResNet1dConfig(num_leads=12, hidden_sizes=[16, 32], depths=[1, 1])
    >>> model = ResNet1dModel(config).eval()
    >>> out = model(torch.randn(4, 12, 1000))
    >>> out.last_hidden_state.shape, out.pooler_output.shape
    (torch.Size([4, 250, 32]), torch.Size([4, 32]))
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn
from torch.nn import functional as F
from transformers import PretrainedConfig, PreTrainedModel
from transformers.modeling_outputs import BaseModelOutputWithPooling

_POOLINGS = ("mean", "max")


class ResNet1dConfig(PretrainedConfig):
    """Configuration of `ResNet1dModel`.

    Args:
        num_leads: Input channels (ECG leads).
        stem_channels: Width of the stem convolution.
        stem_kernel_size: Kernel of the stem convolution (odd).
        stem_stride: Stride of the stem convolution.
        hidden_sizes: Width of each stage; the last is ``hidden_size``.
        depths: Number of residual blocks in each stage.
        kernel_size: Kernel of the block convolutions (odd).
        pooling: ``"mean"`` or ``"max"`` over valid timestamps for ``pooler_output``.

    Example:
        >>> config = ResNet1dConfig(num_leads=12, hidden_sizes=[64, 128, 256], depths=[2, 2, 2])
        >>> config.hidden_size
        256
    """

    model_type = "mmcl_resnet1d"

    def __init__(
        self,
        num_leads: int = 12,
        stem_channels: int = 64,
        stem_kernel_size: int = 7,
        stem_stride: int = 2,
        hidden_sizes: Sequence[int] = (64, 128, 256, 512),
        depths: Sequence[int] = (2, 2, 2, 2),
        kernel_size: int = 5,
        pooling: str = "mean",
        **kwargs,
    ) -> None:
        kwargs.pop("hidden_size", None)  # derived from hidden_sizes
        if pooling not in _POOLINGS:
            raise ValueError(f"ResNet1dConfig: pooling must be one of {_POOLINGS}, got {pooling!r}")
        if len(hidden_sizes) != len(depths) or not hidden_sizes:
            raise ValueError(
                f"ResNet1dConfig: hidden_sizes and depths need one entry per stage, got {list(hidden_sizes)} "
                f"and {list(depths)}"
            )
        if stem_kernel_size % 2 == 0 or kernel_size % 2 == 0:
            raise ValueError(
                f"ResNet1dConfig: kernel sizes must be odd (so strided outputs stay aligned with the "
                f"attention mask), got stem_kernel_size={stem_kernel_size}, kernel_size={kernel_size}"
            )
        if min(num_leads, stem_channels, stem_stride, *hidden_sizes, *depths) < 1:
            raise ValueError("ResNet1dConfig: leads, widths, strides and depths must all be >= 1")
        self.num_leads = num_leads
        self.stem_channels = stem_channels
        self.stem_kernel_size = stem_kernel_size
        self.stem_stride = stem_stride
        self.hidden_sizes = list(hidden_sizes)
        self.depths = list(depths)
        self.kernel_size = kernel_size
        self.pooling = pooling
        super().__init__(**kwargs)
        self.hidden_size = self.hidden_sizes[-1]


def _zero_padding(hidden: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """Zero the padded timestamps of ``hidden`` (batch, channels, time), so padding acts as zero padding."""
    return hidden if mask is None else hidden * mask[:, None, :].to(hidden.dtype)


def _downsample_mask(mask: torch.Tensor | None, stride: int) -> torch.Tensor | None:
    """Mask of a stride-``stride`` convolution's output with odd kernel and ``kernel // 2`` padding."""
    return None if mask is None else mask[:, ::stride]


class _ConvNormAct(nn.Module):
    """Conv1d (same padding) -> BatchNorm1d -> optional ReLU, with padded timestamps re-zeroed."""

    def __init__(
        self, in_channels: int, out_channels: int, kernel_size: int, stride: int, activation: bool
    ) -> None:
        super().__init__()
        self.conv = nn.Conv1d(
            in_channels, out_channels, kernel_size, stride, padding=kernel_size // 2, bias=False
        )
        self.norm = nn.BatchNorm1d(out_channels)
        self.activation = activation
        self.stride = stride

    def forward(
        self, hidden: torch.Tensor, mask: torch.Tensor | None
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        out = self.norm(self.conv(hidden))
        if self.activation:
            out = F.relu(out)
        mask = _downsample_mask(mask, self.stride)
        return _zero_padding(out, mask), mask


class _BasicBlock1d(nn.Module):
    """Two convolutions with a residual connection; a 1x1 projection when the width or stride changes."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int) -> None:
        super().__init__()
        self.conv1 = _ConvNormAct(in_channels, out_channels, kernel_size, stride, activation=True)
        self.conv2 = _ConvNormAct(out_channels, out_channels, kernel_size, 1, activation=False)
        needs_projection = stride != 1 or in_channels != out_channels
        self.shortcut = (
            _ConvNormAct(in_channels, out_channels, 1, stride, activation=False) if needs_projection else None
        )

    def forward(
        self, hidden: torch.Tensor, mask: torch.Tensor | None
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        residual = hidden if self.shortcut is None else self.shortcut(hidden, mask)[0]
        out, out_mask = self.conv1(hidden, mask)
        out, out_mask = self.conv2(out, out_mask)
        return F.relu(out + residual), out_mask


class ResNet1dPreTrainedModel(PreTrainedModel):
    """Weight initialisation and loading glue for `ResNet1dModel` (He init for convolutions)."""

    config_class = ResNet1dConfig
    base_model_prefix = "resnet1d"
    main_input_name = "input_values"

    def _init_weights(self, module: nn.Module) -> None:
        if isinstance(module, nn.Conv1d):
            nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
        elif isinstance(module, nn.BatchNorm1d):
            nn.init.ones_(module.weight)
            nn.init.zeros_(module.bias)
            nn.init.zeros_(module.running_mean)
            nn.init.ones_(module.running_var)


class ResNet1dModel(ResNet1dPreTrainedModel):
    """1-D ResNet: ``(batch, leads, time)`` -> ``(batch, time', hidden_size)`` + pooled embedding.

    ``time' = ceil(time / stem_stride / 2**(stages - 1))``. Padded timestamps (``attention_mask == 0``) are
    re-zeroed after every convolution, so in eval mode a padded series gives at its valid positions exactly
    what the unpadded series gives, and pooling ignores padding. (In training mode BatchNorm's batch
    statistics still see the zeros of padded positions.)

    Example:
        >>> model = ResNet1dModel(ResNet1dConfig(num_leads=1, hidden_sizes=[8], depths=[1]))
        >>> model(torch.randn(2, 1, 100)).pooler_output.shape
        torch.Size([2, 8])
    """

    def __init__(self, config: ResNet1dConfig) -> None:
        super().__init__(config)
        self.stem = _ConvNormAct(
            config.num_leads,
            config.stem_channels,
            config.stem_kernel_size,
            config.stem_stride,
            activation=True,
        )
        blocks = []
        in_channels = config.stem_channels
        for stage, (width, depth) in enumerate(zip(config.hidden_sizes, config.depths, strict=True)):
            for index in range(depth):
                stride = 2 if stage > 0 and index == 0 else 1
                blocks.append(_BasicBlock1d(in_channels, width, config.kernel_size, stride))
                in_channels = width
        self.blocks = nn.ModuleList(blocks)
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
            ``last_hidden_state`` ``(batch, time', hidden_size)`` and ``pooler_output`` ``(batch, hidden_size)``.
        """
        mask = _validated_mask(input_values, attention_mask, self.config.num_leads)
        hidden, mask = self.stem(_zero_padding(input_values, mask), mask)
        for block in self.blocks:
            hidden, mask = block(hidden, mask)
        last_hidden_state = hidden.transpose(1, 2)
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
            f"ResNet1dModel expects input_values of shape (batch, {num_leads}, time), got "
            f"{tuple(input_values.shape)}; transpose (batch, time, leads) inputs or set config.num_leads"
        )
    if attention_mask is None:
        return None
    if attention_mask.shape != (input_values.shape[0], input_values.shape[2]):
        raise ValueError(
            f"ResNet1dModel expects attention_mask of shape (batch, time) = "
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
