"""A small transformer over patches of a multi-lead series: `PatchTransformerConfig`, `PatchTransformerModel`.

The series is cut into non-overlapping patches by a 1-D convolution with stride = kernel = ``patch_size``
(as ViT's patch embedding, and PatchTST's patching in Nie et al., "A Time Series is Worth 64 Words", ICLR
2023, here with all leads in one token), positions are added (learned, or the sinusoids of Vaswani et al.
2017), and a pre-norm transformer encoder contextualises the patches. The instance embedding is a CLS
token or the mean of the valid patches.

This file is self-contained (torch, transformers and the standard library only): it is copied next to the
weights so that ``AutoModel.from_pretrained(folder, trust_remote_code=True)`` works without mmcl.

Example:
    >>> import torch
    >>> config = PatchTransformerConfig(num_leads=12, patch_size=25, hidden_size=32, num_layers=2, num_heads=4)
    >>> model = PatchTransformerModel(config).eval()
    >>> out = model(torch.randn(4, 12, 1000))
    >>> out.last_hidden_state.shape, out.pooler_output.shape
    (torch.Size([4, 40, 32]), torch.Size([4, 32]))
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F
from transformers import PretrainedConfig, PreTrainedModel
from transformers.modeling_outputs import BaseModelOutputWithPooling

_POOLINGS = ("cls", "mean")
_POSITION_EMBEDDINGS = ("learned", "sinusoidal")


class PatchTransformerConfig(PretrainedConfig):
    """Configuration of `PatchTransformerModel`.

    Args:
        num_leads: Input channels (ECG leads, price features).
        patch_size: Timestamps per patch (kernel and stride of the patch embedding).
        hidden_size: Token width.
        num_layers: Transformer encoder layers.
        num_heads: Attention heads (must divide ``hidden_size``).
        intermediate_size: Width of each layer's feed-forward block.
        dropout: Dropout in attention and feed-forward blocks.
        position_embedding: ``"learned"`` (at most ``max_patches`` patches) or ``"sinusoidal"`` (any length).
        max_patches: Number of learned positions.
        pooling: ``"cls"`` (a learned CLS token) or ``"mean"`` of the valid patches for ``pooler_output``.
        layer_norm_eps: Epsilon of the layer norms.

    Example:
        >>> config = PatchTransformerConfig(num_leads=1, patch_size=8, position_embedding="learned")
    """

    model_type = "mmcl_patch_transformer"

    def __init__(
        self,
        num_leads: int = 1,
        patch_size: int = 16,
        hidden_size: int = 128,
        num_layers: int = 4,
        num_heads: int = 4,
        intermediate_size: int = 256,
        dropout: float = 0.1,
        position_embedding: str = "sinusoidal",
        max_patches: int = 512,
        pooling: str = "cls",
        layer_norm_eps: float = 1e-5,
        **kwargs,
    ) -> None:
        if pooling not in _POOLINGS:
            raise ValueError(f"PatchTransformerConfig: pooling must be one of {_POOLINGS}, got {pooling!r}")
        if position_embedding not in _POSITION_EMBEDDINGS:
            raise ValueError(
                f"PatchTransformerConfig: position_embedding must be one of {_POSITION_EMBEDDINGS}, "
                f"got {position_embedding!r}"
            )
        if hidden_size % num_heads != 0:
            raise ValueError(
                f"PatchTransformerConfig: num_heads={num_heads} must divide hidden_size={hidden_size}"
            )
        if min(num_leads, patch_size, hidden_size, num_layers, num_heads, intermediate_size, max_patches) < 1:
            raise ValueError("PatchTransformerConfig: sizes, counts and max_patches must all be >= 1")
        self.num_leads = num_leads
        self.patch_size = patch_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.num_heads = num_heads
        self.intermediate_size = intermediate_size
        self.dropout = dropout
        self.position_embedding = position_embedding
        self.max_patches = max_patches
        self.pooling = pooling
        self.layer_norm_eps = layer_norm_eps
        super().__init__(**kwargs)


def _sinusoidal_positions(
    num_positions: int, size: int, device: torch.device, dtype: torch.dtype
) -> torch.Tensor:
    """Vaswani et al.'s fixed position encodings, ``(num_positions, size)``."""
    positions = torch.arange(num_positions, device=device, dtype=torch.float32)[:, None]
    frequencies = torch.exp(
        torch.arange(0, size, 2, device=device, dtype=torch.float32) * (-math.log(10000.0) / size)
    )
    encoding = torch.zeros(num_positions, size, device=device, dtype=torch.float32)
    encoding[:, 0::2] = torch.sin(positions * frequencies)
    encoding[:, 1::2] = torch.cos(positions * frequencies[: size // 2])
    return encoding.to(dtype)


class PatchTransformerPreTrainedModel(PreTrainedModel):
    """Weight initialisation and loading glue for `PatchTransformerModel`."""

    config_class = PatchTransformerConfig
    base_model_prefix = "patch_transformer"
    main_input_name = "input_values"

    def _init_weights(self, module: nn.Module) -> None:
        if isinstance(module, (nn.Conv1d, nn.Linear, nn.LayerNorm)):
            module.reset_parameters()
        elif isinstance(module, nn.MultiheadAttention):
            module._reset_parameters()
        elif isinstance(module, PatchTransformerModel):
            if module.cls_token is not None:
                nn.init.trunc_normal_(module.cls_token, std=0.02)
            if module.position_embeddings is not None:
                nn.init.trunc_normal_(module.position_embeddings, std=0.02)


class PatchTransformerModel(PatchTransformerPreTrainedModel):
    """Patch transformer: ``(batch, leads, time)`` -> ``(batch, patches, hidden_size)`` + pooled embedding.

    ``patches = ceil(time / patch_size)``; the series is zero-padded on the right to whole patches. A patch
    is valid when any of its timestamps is (``attention_mask``); padded patches are excluded from attention
    (key padding mask) and from mean pooling, so a padded series embeds as its unpadded self.

    Example:
        >>> config = PatchTransformerConfig(num_leads=1, patch_size=10, hidden_size=16, num_layers=1, num_heads=2)
        >>> PatchTransformerModel(config)(torch.randn(2, 1, 95)).last_hidden_state.shape
        torch.Size([2, 10, 16])
    """

    def __init__(self, config: PatchTransformerConfig) -> None:
        super().__init__(config)
        self.patch_embedding = nn.Conv1d(
            config.num_leads, config.hidden_size, kernel_size=config.patch_size, stride=config.patch_size
        )
        self.cls_token = (
            nn.Parameter(torch.zeros(1, 1, config.hidden_size)) if config.pooling == "cls" else None
        )
        self.position_embeddings = (
            nn.Parameter(torch.zeros(config.max_patches, config.hidden_size))
            if config.position_embedding == "learned"
            else None
        )
        layer = nn.TransformerEncoderLayer(
            d_model=config.hidden_size,
            nhead=config.num_heads,
            dim_feedforward=config.intermediate_size,
            dropout=config.dropout,
            activation="gelu",
            layer_norm_eps=config.layer_norm_eps,
            batch_first=True,
            norm_first=True,
        )
        self.encoder = nn.TransformerEncoder(layer, config.num_layers, enable_nested_tensor=False)
        self.final_norm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
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
            ``last_hidden_state`` ``(batch, patches, hidden_size)`` (patch tokens, without the CLS token) and
            ``pooler_output`` ``(batch, hidden_size)``.
        """
        config = self.config
        batch, _, length = _validated_shape(input_values, attention_mask, config.num_leads)
        num_patches = -(-length // config.patch_size)
        if config.position_embedding == "learned" and num_patches > config.max_patches:
            raise ValueError(
                f"PatchTransformerModel: {length} timestamps make {num_patches} patches of {config.patch_size}, "
                f"more than max_patches={config.max_patches}; crop the input or use sinusoidal positions"
            )
        pad = num_patches * config.patch_size - length
        values = F.pad(input_values, (0, pad))
        if attention_mask is None:
            patch_mask = torch.ones(batch, num_patches, dtype=torch.bool, device=input_values.device)
        else:
            sample_mask = F.pad(attention_mask.bool(), (0, pad))
            values = values * sample_mask[:, None, :].to(values.dtype)
            patch_mask = sample_mask.view(batch, num_patches, config.patch_size).any(dim=-1)

        tokens = self.patch_embedding(values).transpose(1, 2)
        if self.position_embeddings is None:
            tokens = tokens + _sinusoidal_positions(
                num_patches, config.hidden_size, tokens.device, tokens.dtype
            )
        else:
            tokens = tokens + self.position_embeddings[:num_patches]
        if self.cls_token is None:
            last_hidden_state = self.final_norm(self.encoder(tokens, src_key_padding_mask=~patch_mask))
            valid = patch_mask[:, :, None].to(last_hidden_state.dtype)
            pooled = (last_hidden_state * valid).sum(dim=1) / valid.sum(dim=1).clamp(min=1)
        else:
            tokens = torch.cat([self.cls_token.expand(batch, -1, -1).to(tokens.dtype), tokens], dim=1)
            token_mask = torch.cat([patch_mask.new_ones(batch, 1), patch_mask], dim=1)
            hidden = self.final_norm(self.encoder(tokens, src_key_padding_mask=~token_mask))
            last_hidden_state, pooled = hidden[:, 1:], hidden[:, 0]
        return_dict = return_dict if return_dict is not None else config.return_dict
        if not return_dict:
            return last_hidden_state, pooled
        return BaseModelOutputWithPooling(last_hidden_state=last_hidden_state, pooler_output=pooled)


def _validated_shape(
    input_values: torch.Tensor, attention_mask: torch.Tensor | None, num_leads: int
) -> tuple[int, int, int]:
    if input_values.ndim != 3 or input_values.shape[1] != num_leads:
        raise ValueError(
            f"PatchTransformerModel expects input_values of shape (batch, {num_leads}, time), got "
            f"{tuple(input_values.shape)}; transpose (batch, time, leads) inputs or set config.num_leads"
        )
    if attention_mask is not None and attention_mask.shape != (input_values.shape[0], input_values.shape[2]):
        raise ValueError(
            f"PatchTransformerModel expects attention_mask of shape (batch, time) = "
            f"{(input_values.shape[0], input_values.shape[2])}, got {tuple(attention_mask.shape)}"
        )
    return input_values.shape[0], input_values.shape[1], input_values.shape[2]
