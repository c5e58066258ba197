"""Images stored as numpy arrays: a ``.npy`` file of images, or a ``.npz`` file of images and labels.

The images are uint8 ``(N, H, W, 3)``, ``(N, 3, H, W)`` or greyscale ``(N, H, W)``. In a ``.npz`` file they
are under ``images`` (or ``x`` / ``X``) and the optional class ids under ``labels`` (or ``y`` / ``Y``). Files
are read with ``allow_pickle=False``: an object array is refused, never unpickled.

Example:
    >>> import numpy as np, tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "digits.npz"
    >>> np.savez(path, images=np.zeros((6, 28, 28), np.uint8), labels=np.arange(6) % 3)
    >>> load_array_images(path, size=32).pixels.shape
    torch.Size([6, 3, 32, 32])
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mmcl.adapters.image.decoded_images import DecodedImages, images_from_array

ARRAY_SUFFIXES = (".npy", ".npz")
IMAGE_KEYS = ("images", "x", "X")
LABEL_KEYS = ("labels", "y", "Y")


def load_array_images(path: str | Path, size: int | None = None) -> DecodedImages:
    """The images (and labels) of a ``.npy`` / ``.npz`` file, resized to ``size`` when given.

    Raises:
        ValueError: the file cannot be read without unpickling, has no image array under a known key, or its
            array has the wrong dtype or shape (each message names the file).
    """
    path = Path(path).expanduser()
    try:
        loaded = np.load(path, allow_pickle=False)
    except (ValueError, OSError) as error:
        raise ValueError(f"{path}: cannot be read as a numpy array file ({error})") from None
    if isinstance(loaded, np.ndarray):
        return images_from_array(loaded, size=size, source=str(path))
    with loaded:
        image_key = next((key for key in IMAGE_KEYS if key in loaded.files), None)
        if image_key is None:
            raise ValueError(
                f"{path}: has arrays {', '.join(loaded.files)} but none named {' / '.join(IMAGE_KEYS)}; save the "
                "images as numpy.savez(path, images=..., labels=...)"
            )
        label_key = next((key for key in LABEL_KEYS if key in loaded.files), None)
        labels = loaded[label_key] if label_key is not None else None
        images = loaded[image_key]
    if labels is not None and len(labels) != len(images):
        raise ValueError(f"{path}: {len(images)} images but {len(labels)} labels; save one label per image")
    return images_from_array(images, labels, size=size, source=str(path))
