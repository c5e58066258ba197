"""Any `transformers` vision backbone as an ``(N, D)`` encoder of float images in ``[0, 1]``.

The encoder resizes a batch to the backbone's input ``resolution`` when it differs (bilinear, antialiased),
normalises it with the image processor's mean and std — on the batch's device, after augmentation — and
returns the backbone's pooled output, flattened: ``pooler_output`` (ResNet, ConvNeXt, ViT's pooler), or the
mean of ``last_hidden_state`` over positions for backbones without one.

Example:
    >>> import torch
    >>> from transformers import ResNetConfig, ResNetModel
    >>> backbone = ResNetModel(ResNetConfig(embedding_size=8, hidden_sizes=[8, 16], depths=[1, 1], layer_type="basic"))
    >>> encoder = ImageEncoder(backbone, image_mean=[0.5] * 3, image_std=[0.25] * 3, resolution=64)
    >>> encoder(torch.rand(4, 3, 32, 32)).shape
    torch.Size([4, 16])
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn
from transformers import PreTrainedModel


class ImageEncoder(nn.Module):
    """A vision backbone behind resizing and normalisation, mapping ``(B, 3, H, W)`` floats to ``(B, D)``.

    Args:
        backbone: a `transformers` vision model (``AutoModel``: ResNet, ConvNeXt, ViT, ...).
        image_mean: per-channel mean subtracted from the ``[0, 1]`` pixels (the image processor's).
        image_std: per-channel standard deviation the pixels are divided by.
        resolution: side, in pixels, of the images the backbone sees; inputs of another size are resized.
        channels_last: run the backbone on channels-last tensors (faster convolutions on many CPUs and GPUs).
    """

    def __init__(
        self,
        backbone: PreTrainedModel,
        image_mean: Sequence[float],
        image_std: Sequence[float],
        resolution: int,
        channels_last: bool = False,
    ) -> None:
        super().__init__()
        if len(image_mean) != 3 or len(image_std) != 3 or min(image_std) <= 0:
            raise ValueError(
                f"image_mean and image_std need 3 values each (RGB), std > 0; got {list(image_mean)} and {list(image_std)}"
            )
        self.backbone = backbone
        self.resolution = resolution
        self.channels_last = channels_last
        # Not persistent: the mean and std are saved with the image processor, not in the backbone's weights.
        self.register_buffer(
            "image_mean", torch.tensor(image_mean, dtype=torch.float32).view(1, 3, 1, 1), False
        )
        self.register_buffer(
            "image_std", torch.tensor(image_std, dtype=torch.float32).view(1, 3, 1, 1), False
        )
        if channels_last:
            self.backbone.to(memory_format=torch.channels_last)

    @torch.no_grad()
    def feature_dim(self) -> int:
        """The width ``D`` of the features (one forward pass of a blank image, in eval mode)."""
        was_training = self.training
        self.eval()
        parameter = next(self.backbone.parameters())
        blank = torch.zeros(1, 3, self.resolution, self.resolution, device=parameter.device)
        width = self(blank).shape[1]
        self.train(was_training)
        return width

    def pixel_values(self, images: torch.Tensor) -> torch.Tensor:
        """What the backbone receives: ``images`` in ``[0, 1]`` resized to ``resolution`` and normalised."""
        if images.dtype == torch.uint8:
            raise ValueError("ImageEncoder takes float images in [0, 1]; divide uint8 pixels by 255 first")
        images = images.float()
        if tuple(images.shape[-2:]) != (self.resolution, self.resolution):
            images = F.interpolate(
                images,
                size=(self.resolution, self.resolution),
                mode="bilinear",
                antialias=True,
                align_corners=False,
            )
        pixels = (images - self.image_mean) / self.image_std
        return pixels.contiguous(memory_format=torch.channels_last) if self.channels_last else pixels

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Pooled, flattened backbone features ``(B, D)`` of float ``(B, 3, H, W)`` images in ``[0, 1]``."""
        return pooled_features(self.backbone(pixel_values=self.pixel_values(images)))


def pooled_features(outputs) -> torch.Tensor:
    """``(B, D)`` from a backbone's outputs: ``pooler_output`` flattened, else ``last_hidden_state`` averaged
    over its positions (tokens, or height and width)."""
    pooled = getattr(outputs, "pooler_output", None)
    if pooled is not None:
        return pooled.flatten(1)
    hidden = outputs.last_hidden_state
    return hidden.mean(dim=1) if hidden.ndim == 3 else hidden.flatten(2).mean(dim=2)
