"""The CIFAR-10 JPEG copy in ``../shared/data/image/cifar10-jpeg`` as uint8 arrays, and the benchmarks' subset.

Imports only numpy and Pillow, so both sides of an image benchmark can use it: mmcl's environment and
lightly's own virtual environment (see ``image_vs_lightly.py``). The archives are read in memory, nothing is
extracted; members are sorted by name and labelled by their class folder, in the standard CIFAR-10 order.

Example:
    >>> images, labels = load_split("test")  # doctest: +SKIP
    >>> images.shape, images.dtype  # doctest: +SKIP
    ((10000, 32, 32, 3), dtype('uint8'))
"""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import numpy as np
from PIL import Image

DATA_DIR = Path(__file__).resolve().parents[2] / "shared" / "data" / "image" / "cifar10-jpeg"
"""The data folder, next to the repository checkout (``/work/shared/...`` for ``/work/main``)."""

CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
"""Class names; a label is the index in this tuple."""


def archive_path(split: str, data_dir: Path = DATA_DIR) -> Path:
    """The ``cifar10_{train,test}_jpg.tar.gz`` archive of ``split``."""
    if split not in ("train", "test"):
        raise ValueError(f"CIFAR-10 split must be 'train' or 'test', got {split!r}")
    return data_dir / f"cifar10_{split}_jpg.tar.gz"


def load_split(split: str, data_dir: Path = DATA_DIR) -> tuple[np.ndarray, np.ndarray]:
    """Decode ``split`` to ``(images uint8 (N, 32, 32, 3), labels int64 (N,))`` in member order."""
    images, labels = [], []
    with tarfile.open(archive_path(split, data_dir), "r:gz") as archive:
        for member in archive:
            if not member.isfile() or not member.name.endswith(".jpg"):
                continue
            _, class_name, _ = member.name.split("/")
            with Image.open(io.BytesIO(archive.extractfile(member).read())) as image:
                images.append(np.asarray(image.convert("RGB"), dtype=np.uint8))
            labels.append(CLASSES.index(class_name))
    return np.stack(images), np.array(labels, dtype=np.int64)


def balanced_subset(labels: np.ndarray, size: int, seed: int) -> np.ndarray:
    """Sorted indices of ``size`` examples, ``size / classes`` from each class, drawn with ``seed``.

    Example:
        >>> balanced_subset(np.repeat(np.arange(10), 100), size=20, seed=0).shape
        (20,)
    """
    classes = np.unique(labels)
    if size % len(classes):
        raise ValueError(f"a balanced subset needs a multiple of {len(classes)} examples, got {size}")
    generator = np.random.default_rng(seed)
    per_class = size // len(classes)
    chosen = [generator.permutation(np.flatnonzero(labels == label))[:per_class] for label in classes]
    return np.sort(np.concatenate(chosen))
