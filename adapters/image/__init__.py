"""Image adapter: any `transformers` vision backbone, kornia augmentations batched on the device.

- Augmentations (kornia, on uint8 batches on the training device): `image_augmentations`,
  `view_augmentations`, `augmentation_pipeline`, `MultiCrop`, with the ``simclr`` / ``moco_v2`` / ``byol``
  presets of `AugmentationSettings`.
- Data: `list_image_files` (folders, tar / zip archives), `decode_image`, `decode_image_files`,
  `stream_image_files`, `load_array_images`, `images_from_dataset`, `images_from_array`, `DecodedImages`,
  with `ImageError` / `ImageReadReport` for bad files.
- Encoder: `ImageEncoder` around an ``AutoModel`` backbone; `load_image_encoder` reads a saved one.
- The adapter (`ImageAdapter`, registered as ``image``) and its evaluation (`image_evaluation`).
"""

from mmcl.adapters.image.adapter import ImageAdapter, load_image_encoder
from mmcl.adapters.image.array_files import load_array_images
from mmcl.adapters.image.augmentation_presets import (
    augmentation_pipeline,
    image_augmentations,
    view_augmentations,
)
from mmcl.adapters.image.augmentation_settings import PRESETS, AugmentationSettings, preset_settings
from mmcl.adapters.image.dataset_images import images_from_dataset
from mmcl.adapters.image.decoded_images import DecodedImages, images_from_array
from mmcl.adapters.image.file_images import decode_image_files, stream_image_files
from mmcl.adapters.image.image_data import ImageData, read_images
from mmcl.adapters.image.image_decoding import decode_image
from mmcl.adapters.image.image_encoder import ImageEncoder
from mmcl.adapters.image.image_errors import ImageError, ImageReadReport
from mmcl.adapters.image.image_evaluation import image_evaluation
from mmcl.adapters.image.image_files import list_image_files
from mmcl.adapters.image.multi_crop import MultiCrop

__all__ = [
    "PRESETS",
    "AugmentationSettings",
    "DecodedImages",
    "ImageAdapter",
    "ImageData",
    "ImageEncoder",
    "ImageError",
    "ImageReadReport",
    "MultiCrop",
    "augmentation_pipeline",
    "decode_image",
    "decode_image_files",
    "image_augmentations",
    "image_evaluation",
    "images_from_array",
    "images_from_dataset",
    "list_image_files",
    "load_array_images",
    "load_image_encoder",
    "preset_settings",
    "read_images",
    "stream_image_files",
    "view_augmentations",
]
