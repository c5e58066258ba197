"""Build a `transformers` vision backbone and its image processor from a recipe: a config or a Hub id.

- ``backbone_from_config({"model_type": "resnet", "hidden_sizes": [...], ...})``: any model type
  ``AutoConfig`` knows (``resnet``, ``convnext``, ``vit``, ``regnet``, ...), randomly initialised;
- ``backbone_from_pretrained("microsoft/resnet-18")`` or a local folder: ``AutoModel.from_pretrained`` (a
  classification checkpoint gives its base model), with the normalisation of its image processor;
- `image_processor`: the processor saved beside the backbone — resize to the encoder's input resolution,
  rescale to ``[0, 1]``, normalise — so ``AutoImageProcessor`` + ``AutoModel`` reproduce the features.

Example:
    >>> backbone = backbone_from_config({"model_type": "resnet", "hidden_sizes": [8, 16], "depths": [1, 1],
    ...                                  "layer_type": "basic", "embedding_size": 8})
    >>> type(backbone).__name__
    'ResNetModel'
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from transformers import AutoConfig, AutoImageProcessor, AutoModel, PreTrainedModel
from transformers.image_utils import PILImageResampling

from mmcl.adapters.image.modeling_cifar_resnet import CifarResNetConfig, CifarResNetModel

try:  # transformers >= 5 names the Pillow-based processor apart from the torchvision-based one
    from transformers import ViTImageProcessorPil as ResizeNormalizeProcessor
except ImportError:  # transformers 4.x: ViTImageProcessor is the Pillow-based one
    from transformers import ViTImageProcessor as ResizeNormalizeProcessor

AutoConfig.register(CifarResNetConfig.model_type, CifarResNetConfig, exist_ok=True)
AutoModel.register(CifarResNetConfig, CifarResNetModel, exist_ok=True)

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
"""The normalisation of ImageNet backbones, and of lightly's CIFAR-10 benchmark; the default here."""


def backbone_from_config(config: dict[str, Any], cifar_stem: bool = False) -> PreTrainedModel:
    """A randomly initialised ``AutoModel`` of ``config`` (its ``model_type`` key names the architecture).

    With ``cifar_stem`` a ResNet gets the CIFAR stem (`CifarResNetModel`: 3x3 stride-1 convolution, no
    pooling), for 32x32 images; its folder loads with ``trust_remote_code=True`` where mmcl is not installed.

    Raises:
        ValueError: ``model_type`` is missing or unknown, a key does not fit, or ``cifar_stem`` is asked of a
            backbone other than a ResNet (the message says which).
    """
    options = dict(config)
    model_type = options.pop("model_type", None)
    if not isinstance(model_type, str):
        raise ValueError(
            "adapter.encoder_config.model_type: required, e.g. resnet, convnext or vit (the `transformers` "
            "model type of the backbone)"
        )
    if cifar_stem:
        if model_type != "resnet":
            raise ValueError(
                f"adapter.cifar_stem: only a resnet has a CIFAR stem, encoder_config.model_type is {model_type!r}; "
                "set cifar_stem: false (a ViT or ConvNeXt for 32x32 images takes a small patch_size instead)"
            )
        model_type = CifarResNetConfig.model_type
    try:
        model_config = AutoConfig.for_model(model_type, **options)
    except (ValueError, TypeError) as error:
        raise ValueError(f"adapter.encoder_config: {error}") from None
    return AutoModel.from_config(model_config)


def backbone_from_pretrained(name_or_folder: str) -> PreTrainedModel:
    """``AutoModel.from_pretrained(name_or_folder)``: weights from the Hub or a local folder (safetensors)."""
    return AutoModel.from_pretrained(name_or_folder, use_safetensors=True)


def pretrained_normalization(name_or_folder: str) -> tuple[list[float], list[float]] | None:
    """The ``(image_mean, image_std)`` of the image processor saved with a pretrained backbone, if any."""
    try:
        processor = AutoImageProcessor.from_pretrained(name_or_folder)
    except (OSError, ValueError):
        return None
    mean, std = getattr(processor, "image_mean", None), getattr(processor, "image_std", None)
    return (list(mean), list(std)) if mean is not None and std is not None else None


def image_processor(resolution: int, image_mean: Sequence[float], image_std: Sequence[float]) -> Any:
    """The image processor of an `ImageEncoder`: bilinear resize to ``resolution`` x ``resolution``, rescale by
    1/255, normalise with ``image_mean`` / ``image_std`` — the encoder's own preprocessing, for any backbone.

    Example:
        >>> processor = image_processor(128, IMAGENET_MEAN, IMAGENET_STD)
        >>> processor.size["height"], processor.size["width"]
        (128, 128)
    """
    return ResizeNormalizeProcessor(
        do_resize=True,
        size={"height": resolution, "width": resolution},
        resample=PILImageResampling.BILINEAR,
        do_rescale=True,
        do_normalize=True,
        image_mean=list(image_mean),
        image_std=list(image_std),
    )
