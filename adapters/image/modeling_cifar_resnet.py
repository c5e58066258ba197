"""A `transformers` ResNet with the CIFAR stem, for 32x32 images: `CifarResNetConfig` and `CifarResNetModel`.

ImageNet ResNets open with a 7x7 stride-2 convolution and a stride-2 max-pool, which leave 8x8 maps of a
32x32 image to the first stage. The CIFAR variant of He et al., "Deep Residual Learning" (2016, section
4.2), used by SimCLR, MoCo and BYOL on CIFAR-10 and by lightly's CIFAR-10 benchmark, opens instead with a
3x3 stride-1 convolution and no pooling, so the stages see 32, 16, 8 and 4 pixel maps. Everything after the
stem is `transformers`' own `ResNetModel`, so weights, outputs (``pooler_output`` of shape
``(batch, hidden_sizes[-1], 1, 1)``) and every config key are the same as a plain ResNet's.

This file is self-contained (torch and transformers only): it is copied next to the weights so that
``AutoModel.from_pretrained(folder, trust_remote_code=True)`` works without mmcl.

Example:
    >>> import torch
    >>> config = CifarResNetConfig(embedding_size=16, hidden_sizes=[16, 32], depths=[1, 1])
    >>> model = CifarResNetModel(config).eval()
    >>> out = model(torch.randn(2, 3, 32, 32))
    >>> out.last_hidden_state.shape, out.pooler_output.shape
    (torch.Size([2, 32, 16, 16]), torch.Size([2, 32, 1, 1]))
"""

from __future__ import annotations

import torch
from torch import nn
from transformers import ResNetConfig, ResNetModel
from transformers.models.resnet.modeling_resnet import ResNetConvLayer


class CifarResNetConfig(ResNetConfig):
    """Configuration of `CifarResNetModel`: every `ResNetConfig` key; only the stem differs.

    Example:
        >>> CifarResNetConfig(hidden_sizes=[32, 64, 128, 256], depths=[1, 1, 1, 1]).model_type
        'mmcl_cifar_resnet'
    """

    model_type = "mmcl_cifar_resnet"


class CifarResNetStem(nn.Module):
    """A 3x3 stride-1 convolution with BatchNorm and the config's activation, and no pooling.

    It keeps the attribute names of `transformers`' ImageNet stem (``embedder``, ``pooler``), so the
    weight names of the two models are the same.
    """

    def __init__(self, config: CifarResNetConfig) -> None:
        super().__init__()
        self.embedder = ResNetConvLayer(
            config.num_channels, config.embedding_size, kernel_size=3, stride=1, activation=config.hidden_act
        )
        self.pooler = nn.Identity()
        self.num_channels = config.num_channels

    def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
        if pixel_values.shape[1] != self.num_channels:
            raise ValueError(
                f"CifarResNetModel: pixel_values have {pixel_values.shape[1]} channels, the config says "
                f"num_channels={self.num_channels}"
            )
        return self.pooler(self.embedder(pixel_values))


class CifarResNetModel(ResNetModel):
    """`transformers`' `ResNetModel` with `CifarResNetStem` in place of the ImageNet stem.

    Example:
        >>> model = CifarResNetModel(CifarResNetConfig(hidden_sizes=[8], depths=[1], embedding_size=8))
        >>> type(model.embedder).__name__
        'CifarResNetStem'
    """

    config_class = CifarResNetConfig
    config: CifarResNetConfig

    def __init__(self, config: CifarResNetConfig) -> None:
        super().__init__(config)
        self.embedder = CifarResNetStem(config)
        self.embedder.apply(self._init_weights)
