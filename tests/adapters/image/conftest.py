"""Shared fixtures of the image adapter tests: tiny image folders written with Pillow."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

CIFAR = Path(__file__).resolve().parents[3] / ".." / "shared" / "data" / "image" / "cifar10-jpeg"
CLASS_COLOURS = {"blue": (20, 40, 200), "red": (200, 30, 30)}


def class_image(colour: tuple[int, int, int], seed: int, size: int = 32) -> np.ndarray:
    """A ``size`` x ``size`` RGB image: the class colour plus seeded noise and a random bright square."""
    rng = np.random.default_rng(seed)
    pixels = np.clip(np.array(colour)[None, None] + rng.normal(0, 25, (size, size, 3)), 0, 255)
    top, left = rng.integers(0, size // 2, 2)
    pixels[top : top + size // 4, left : left + size // 4] = 255
    return pixels.astype(np.uint8)


def write_class_folder(root: Path, per_class: int, suffix: str = ".png", size: int = 32) -> Path:
    """``root/<class>/<n>.png``: ``per_class`` images of each class in `CLASS_COLOURS`."""
    for class_index, (name, colour) in enumerate(CLASS_COLOURS.items()):
        folder = root / name
        folder.mkdir(parents=True, exist_ok=True)
        for index in range(per_class):
            image = Image.fromarray(class_image(colour, seed=1000 * class_index + index, size=size))
            image.save(folder / f"{index:03d}{suffix}")
    return root


@pytest.fixture
def image_folder(tmp_path: Path) -> Path:
    """Two classes (``blue``, ``red``) of six 32 x 32 PNG images each."""
    return write_class_folder(tmp_path / "images", per_class=6)


@pytest.fixture(scope="session")
def cifar_dir() -> Path:
    """``../shared/data/image/cifar10-jpeg`` relative to the repository root (skips when it is absent)."""
    if not CIFAR.is_dir():
        pytest.skip(f"CIFAR-10 folder {CIFAR} is not available")
    return CIFAR.resolve()
