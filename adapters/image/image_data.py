"""The recipe's ``adapter.data`` section and the reader that turns one of its paths into images.

A path is read by what it is: a ``.npy`` / ``.npz`` array file, a folder written by
``datasets.Dataset.save_to_disk`` (an ``Image`` column), an image folder (``<class>/<file>``) or a tar / zip
archive of one. Folders and archives are decoded once into a uint8 tensor when it fits in
``cache_budget_mb``, and streamed (decoded as they are read, every epoch) otherwise.

Example (a recipe)::

    adapter:
      name: image
      data:
        train: cifar10/cifar10_train_jpg.tar.gz
        test: cifar10/cifar10_test_jpg.tar.gz
        train_subset: 10000       # a seeded random subset (the archive is sorted by class)
        on_error: skip            # skip and count corrupt files instead of stopping
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import datasets
import torch

from mmcl.adapters.image.array_files import ARRAY_SUFFIXES, load_array_images
from mmcl.adapters.image.dataset_images import images_from_dataset, is_saved_dataset
from mmcl.adapters.image.decoded_images import DecodedImages
from mmcl.adapters.image.file_images import decode_image_files, stream_image_files
from mmcl.adapters.image.image_decoding import decode_image
from mmcl.adapters.image.image_errors import ImageReadReport
from mmcl.adapters.image.image_files import ImageFile, ImageListing, list_image_files, read_image_files
from mmcl.recipe import ExistingPath

BYTES_PER_MEGABYTE = 2**20


@dataclass
class ImageData:
    """Where the images are and how to read them (the recipe's ``adapter.data``).

    Attributes:
        train: the training images (labels, if any, are used by the evaluation only).
        test: the labelled test split of the evaluation (kNN and linear probe); none: no evaluation.
        image_column: the ``Image`` column of a saved `datasets` table.
        label_column: its label column (none or absent: unlabelled).
        resize_to: resize every image (shorter side, then centre crop) to this many pixels; none: all images
            must have the same size, and one that does not is an error naming it.
        train_subset: pretrain on this many training images, drawn at random with ``subset_seed`` (none: all).
        test_subset: the same for the test split.
        probe_subset: the labelled training images the kNN and the linear probe fit on: this many of the
            whole training split, drawn with ``subset_seed`` (so they hold the ``train_subset`` images when
            it is smaller); none: the pretraining images. Pretraining on a subset is cheap, while the kNN
            bank's size moves its accuracy by points (raw pixels, CIFAR-10: 33.7 % with 10k, 42.2 % with 50k).
        subset_seed: seeds the subsets.
        on_error: ``raise`` at the first bad image (corrupt, 16-bit, odd size), or ``skip`` and count it.
        cache_budget_mb: decode a folder or archive into memory up to this size; stream it beyond.
    """

    train: ExistingPath
    test: ExistingPath | None = None
    image_column: str = "image"
    label_column: str | None = "label"
    resize_to: int | None = None
    train_subset: int | None = None
    test_subset: int | None = None
    probe_subset: int | None = None
    subset_seed: int = 0
    on_error: Literal["raise", "skip"] = "raise"
    cache_budget_mb: float = 4096.0

    def __post_init__(self) -> None:
        for key in ("resize_to", "train_subset", "test_subset", "probe_subset"):
            value = getattr(self, key)
            if value is not None and value < 1:
                raise ValueError(f"data.{key} must be >= 1 (or null), got {value}")


def read_images(
    path: str | Path, data: ImageData, *, subset: int | None, report: ImageReadReport
) -> DecodedImages | datasets.IterableDataset:
    """The images at ``path``: in memory, or a stream of ``{"pixels", "label"}`` past the cache budget.

    Raises:
        ValueError / ImageError: unreadable source, empty folder, bad image (each naming the file).
    """
    path = Path(path).expanduser()
    if path.name.lower().endswith(ARRAY_SUFFIXES):
        return _subset(load_array_images(path, size=data.resize_to), subset, data.subset_seed)
    if is_saved_dataset(path):
        table = datasets.load_from_disk(str(path))
        if subset is not None and subset < len(table):
            table = table.select(seeded_subset(len(table), subset, data.subset_seed).tolist())
        images = images_from_dataset(
            table,
            image_column=data.image_column,
            label_column=data.label_column,
            size=data.resize_to,
            on_error=data.on_error,
            report=report,
        )
        images.source = str(path)
        return images
    listing = list_image_files(path)
    files = listing.files
    if subset is not None and subset < len(files):
        files = [files[i] for i in seeded_subset(len(files), subset, data.subset_seed).tolist()]
    side = data.resize_to or _first_image_side(listing, files)
    if len(files) * 3 * side * side > data.cache_budget_mb * BYTES_PER_MEGABYTE:
        return stream_image_files(listing, files, size=data.resize_to, on_error=data.on_error)
    return decode_image_files(listing, files, size=data.resize_to, on_error=data.on_error, report=report)


def seeded_subset(total: int, count: int, seed: int) -> torch.Tensor:
    """``count`` distinct indices of ``range(total)`` drawn with ``seed``, in increasing order.

    Example:
        >>> seeded_subset(10, 3, seed=0).tolist()
        [1, 4, 7]
    """
    order = torch.randperm(total, generator=torch.Generator().manual_seed(seed))
    return order[: min(count, total)].sort().values


def _subset(images: DecodedImages, subset: int | None, seed: int) -> DecodedImages:
    if subset is None or subset >= len(images):
        return images
    return images.subset(seeded_subset(len(images), subset, seed))


def _first_image_side(listing: ImageListing, files: list[ImageFile]) -> int:
    """The larger side of the first image, to estimate the cache size (a corrupt first image counts as 256
    pixels here; the decoding pass reports it)."""
    for file, data in read_image_files(listing, files[:1]):
        try:
            return max(decode_image(data, listing.display_name(file)).shape[:2])
        except ValueError:
            break
    return 256
