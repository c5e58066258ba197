"""``image``: the image adapter — any `transformers` vision backbone, kornia views on the device, kNN evaluation.

Data (``adapter.data``): image folders (``<class>/<file>``), tar / zip archives of them read without
extracting, ``.npy`` / ``.npz`` arrays and saved `datasets` tables with an ``Image`` column; decoded once into a
uint8 tensor when it fits in ``data.cache_budget_mb``, streamed otherwise. Encoder: ``AutoModel`` from
``encoder_config`` (default: ResNet-18) or ``pretrained`` (a Hub id or a local folder), wrapped as an ``(N, D)``
`ImageEncoder` that resizes and normalises on the device. Views: the ``simclr``, ``moco_v2`` or ``byol``
augmentation presets (`augmentation_presets`), run batched on the training device from uint8 pixels.
Evaluation: kNN (k = 200, temperature 0.1) and a linear probe on the test split, beside the same encoder at
random initialisation and the raw pixels. Output: the backbone's `transformers` folder and its image
processor, which ``AutoImageProcessor`` / ``AutoModel.from_pretrained`` load without mmcl.

**CIFAR stem.** A CIFAR ResNet replaces the 7x7 stride-2 convolution and max-pool by a 3x3 stride-1
convolution, so 32x32 images keep 32x32 feature maps. ``cifar_stem: true`` builds that ResNet
(`CifarResNetModel`: `transformers`' ResNet with the CIFAR stem, saved with its modeling file, so the folder
loads with ``AutoModel.from_pretrained(folder, trust_remote_code=True)`` where mmcl is not installed). Its
stages then work on 16x as many pixels as behind the ImageNet stem (8x8 maps): slower, and much more accurate
(CPU recipe ``image-simclr``: linear probe 43.3 % with it, 36.5 % without). Every bundled recipe uses it.

Example:
    >>> from mmcl.recipe import load_recipe
    >>> from mmcl.train import train
    >>> train(load_recipe("image-simclr", ["adapter.data.train=photos/"]))  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import datasets
import numpy as np
import torch
from torch import nn
from transformers import AutoImageProcessor, AutoModel

from mmcl.adapter import Adapter, register_adapter
from mmcl.adapters.image.augmentation_presets import view_augmentations
from mmcl.adapters.image.augmentation_settings import preset_settings
from mmcl.adapters.image.decoded_images import DecodedImages
from mmcl.adapters.image.image_data import ImageData, read_images
from mmcl.adapters.image.image_encoder import ImageEncoder
from mmcl.adapters.image.image_errors import ImageReadReport
from mmcl.adapters.image.image_evaluation import image_evaluation
from mmcl.adapters.image.vision_backbone import (
    IMAGENET_MEAN,
    IMAGENET_STD,
    backbone_from_config,
    backbone_from_pretrained,
    image_processor,
    pretrained_normalization,
)
from mmcl.evaluation import EvaluationReport
from mmcl.hub import save_encoder

RESNET18_CONFIG: dict[str, Any] = {
    "model_type": "resnet",
    "layer_type": "basic",
    "embedding_size": 64,
    "hidden_sizes": [64, 128, 256, 512],
    "depths": [2, 2, 2, 2],
}
"""The default backbone: ResNet-18 (11 M parameters, 512 features), as in lightly's CIFAR-10 benchmark."""


@register_adapter("image")
class ImageAdapter(Adapter):
    """Images, a `transformers` vision backbone, kornia views batched on the device, kNN / linear evaluation.

    Options (the recipe's ``adapter:`` keys):
        data: where the images are (`ImageData`: ``train``, ``test``, ``resize_to``, subsets, ``on_error``, ...).
        encoder_config: ``AutoConfig`` keys of a randomly initialised backbone, with its ``model_type``
            (default: ResNet-18).
        pretrained: a Hub id or local folder to start from instead (its image processor's mean and std are used).
        image_size: side of the augmented views, in pixels.
        cifar_stem: a ResNet with the CIFAR stem, for 32x32 images (see the module docstring).
        image_mean, image_std: normalisation (default: the pretrained processor's, else ImageNet's).
        channels_last: run the backbone on channels-last tensors.
        augmentations: view preset: ``simclr``, ``moco_v2`` or ``byol`` (asymmetric views).
        augmentation_overrides: `AugmentationSettings` fields replacing the preset's, e.g. ``{gaussian_blur: 0.5}``.
        compile_augmentations: compile the colour jitter with ``torch.compile`` (about 3x faster after a first
            call of tens of seconds; worth it for runs of more than a few minutes).
        evaluation: ``knn-linear`` (kNN and linear probe), ``knn`` or ``none``; needs ``data.test``.
        knn_k, knn_temperature: the kNN protocol (InstDisc / lightly: 200 and 0.1).
        linear_probe_c_grid: ``C`` values of the linear probe's cross-validation (default: 1e-4 ... 1e4).
        evaluation_batch_size: images per forward pass when embedding the evaluation splits.
        random_init_seed: seeds the random-init baseline encoder.
    """

    @dataclass
    class Options:
        data: ImageData
        encoder_config: dict[str, Any] = field(default_factory=lambda: dict(RESNET18_CONFIG))
        pretrained: str | None = None
        image_size: int = 32
        cifar_stem: bool = False
        image_mean: list[float] | None = None
        image_std: list[float] | None = None
        channels_last: bool = False
        augmentations: Literal["simclr", "moco_v2", "byol"] = "simclr"
        augmentation_overrides: dict[str, Any] = field(default_factory=dict)
        compile_augmentations: bool = False
        evaluation: Literal["knn-linear", "knn", "none"] = "knn-linear"
        knn_k: int = 200
        knn_temperature: float = 0.1
        linear_probe_c_grid: list[float] | None = None
        evaluation_batch_size: int = 512
        random_init_seed: int = 0

        def __post_init__(self) -> None:
            if self.image_size < 8:
                raise ValueError(f"adapter.image_size must be >= 8 pixels, got {self.image_size}")
            try:
                preset_settings(self.augmentations, self.image_size, **self.augmentation_overrides)
            except ValueError as error:
                raise ValueError(f"adapter.augmentation_overrides: {error}") from None

    evaluation_suite = "knn-linear-probe"
    save_format = "transformers"
    modality = "image"

    def __init__(self, options: Options) -> None:
        super().__init__(options)
        self._views = nn.ModuleList(
            view_augmentations(
                options.augmentations,
                options.image_size,
                compiled=options.compile_augmentations,
                **options.augmentation_overrides,
            )
        )
        self._splits: dict[str, DecodedImages | datasets.IterableDataset] = {}

    def build_encoder(self) -> tuple[ImageEncoder, int]:
        options = self.options
        if options.pretrained is not None:
            if options.cifar_stem:
                raise ValueError(
                    "adapter.cifar_stem: a pretrained backbone keeps the stem it was trained with; drop cifar_stem "
                    "or build the backbone from encoder_config"
                )
            backbone = backbone_from_pretrained(options.pretrained)
            mean, std = pretrained_normalization(options.pretrained) or (IMAGENET_MEAN, IMAGENET_STD)
        else:
            backbone = backbone_from_config(options.encoder_config, cifar_stem=options.cifar_stem)
            mean, std = IMAGENET_MEAN, IMAGENET_STD
        encoder = ImageEncoder(
            backbone,
            image_mean=options.image_mean or mean,
            image_std=options.image_std or std,
            resolution=options.image_size,
            channels_last=options.channels_last,
        )
        return encoder, encoder.feature_dim()

    def load_dataset(self, split: str) -> datasets.Dataset | datasets.IterableDataset:
        """``train``: row indices into the decoded images (``{"index"}``), or a stream of ``{"pixels", "label"}``."""
        images = self.images(split)
        if isinstance(images, datasets.IterableDataset):
            return images
        return datasets.Dataset.from_dict({"index": np.arange(len(images))})

    def images(self, split: str) -> DecodedImages | datasets.IterableDataset:
        """The images of ``split``, read on first use: decoded, or a stream past the cache budget. Skipped bad
        files are counted and printed. ``train`` / ``test``: the pretraining and test images; ``probe``: the
        labelled training images the evaluation fits on (``data.probe_subset``; the ``train`` images without)."""
        data = self.options.data
        if split == "probe" and data.probe_subset is None:
            return self.images("train")
        if split not in self._splits:
            path = {"train": data.train, "test": data.test, "probe": data.train}.get(split)
            if path is None:
                raise ValueError(f"the image adapter has no {split!r} split; set adapter.data.{split}")
            report = ImageReadReport()
            subset = {"train": data.train_subset, "test": data.test_subset, "probe": data.probe_subset}[split]
            self._splits[split] = read_images(path, data, subset=subset, report=report)
            if report.skipped:
                print(f"image adapter, {split} split ({path}): {report.summary()}")
        return self._splits[split]

    def collate(self, examples: list[dict[str, Any]]) -> torch.Tensor:
        """uint8 ``(B, 3, S, S)`` pixels of the examples (gathered from the decoded images, or stacked)."""
        if "pixels" in examples[0]:
            return torch.from_numpy(np.stack([example["pixels"] for example in examples]))
        images = self.images("train")
        return images.pixels[torch.tensor([int(example["index"]) for example in examples])]

    def make_views(self, batch: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Two float views in ``[0, 1]`` of a uint8 batch already on the training device (no copy to the host)."""
        first, second = self._views
        return first(batch), second(batch)

    def embed(self, encoder: nn.Module, batch: torch.Tensor) -> torch.Tensor:
        """Features of an un-augmented uint8 batch."""
        return encoder(batch.float().div(255.0))

    def evaluate(
        self, encoder: nn.Module, device: torch.device, plots_dir: Path | None = None
    ) -> EvaluationReport | dict[str, float]:
        """kNN and linear probe on ``data.test`` (fit on the ``probe`` images), beside the random-init encoder and
        the raw pixels."""
        if self.options.evaluation == "none" or self.options.data.test is None:
            return {}
        torch.manual_seed(self.options.random_init_seed)
        backbone = encoder.backbone
        random_init = ImageEncoder(
            type(backbone)(backbone.config),
            image_mean=encoder.image_mean.flatten().tolist(),
            image_std=encoder.image_std.flatten().tolist(),
            resolution=encoder.resolution,
            channels_last=encoder.channels_last,
        ).to(device)
        return image_evaluation(
            encoder,
            random_init,
            self.images("probe"),
            self.images("test"),
            device,
            k=self.options.knn_k,
            temperature=self.options.knn_temperature,
            linear_probe=self.options.evaluation == "knn-linear",
            c_grid=self.options.linear_probe_c_grid,
            batch_size=self.options.evaluation_batch_size,
        )

    def save_encoder(self, encoder: nn.Module, folder: Path) -> None:
        """The backbone's `transformers` folder and an image processor reproducing the encoder's preprocessing."""
        processor = image_processor(
            encoder.resolution, encoder.image_mean.flatten().tolist(), encoder.image_std.flatten().tolist()
        )
        save_encoder(encoder.backbone, folder, processor=processor)

    def load_encoder(self, folder: Path) -> ImageEncoder:
        return load_image_encoder(folder)

    def dataset_names(self) -> list[str]:
        return [Path(self.options.data.train).name]

    def evaluation_dataset_name(self) -> str | None:
        """The test images' name (``data.test``)."""
        return None if self.options.data.test is None else Path(self.options.data.test).name


def load_image_encoder(folder: str | Path) -> ImageEncoder:
    """The `ImageEncoder` of a folder written by the image adapter (or any backbone with its image processor).

    Example:
        >>> encoder = load_image_encoder("runs/image-simclr/model")  # doctest: +SKIP
    """
    processor = AutoImageProcessor.from_pretrained(folder)
    size = processor.size
    resolution = size["height"] if size.get("height") else size["shortest_edge"]
    return ImageEncoder(
        AutoModel.from_pretrained(folder, use_safetensors=True),
        image_mean=list(processor.image_mean),
        image_std=list(processor.image_std),
        resolution=int(resolution),
    )
