"""Decode one image file into RGB uint8 pixels: any 8-bit mode converted to RGB, optionally resized.

Greyscale (``L``, ``1``), palette (``P``), ``RGBA`` / ``LA`` (alpha dropped, as PIL's ``convert("RGB")``
does), ``CMYK`` and ``YCbCr`` images become RGB; the EXIF orientation is applied. 16-bit and float images
(``I``, ``I;16``, ``F``) are reported instead of silently clipped. With ``size``, the image is resized so
its shorter side is ``size`` (bilinear, antialiased) and centre-cropped to ``size`` x ``size``.

Example:
    >>> import io
    >>> from PIL import Image
    >>> buffer = io.BytesIO()
    >>> Image.new("L", (40, 30), 128).save(buffer, format="PNG")
    >>> decode_image(buffer.getvalue(), "grey.png", size=16).shape
    (16, 16, 3)
"""

from __future__ import annotations

import io
import warnings

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from mmcl.adapters.image.image_errors import ImageError

CONVERTIBLE_MODES = frozenset(
    {"1", "L", "LA", "La", "P", "PA", "RGB", "RGBA", "RGBa", "RGBX", "CMYK", "YCbCr"}
)
"""PIL modes with 8 bits per channel, which ``convert("RGB")`` maps to RGB without losing range."""


def decode_image(data: bytes, file: str, size: int | None = None) -> np.ndarray:
    """The ``(H, W, 3)`` uint8 RGB pixels of the encoded image ``data`` read from ``file``.

    Args:
        data: the file's bytes (JPEG, PNG, BMP, GIF, WebP, TIFF, ... whatever Pillow reads).
        file: the file's name, for error messages.
        size: resize the shorter side to ``size`` and centre-crop a square; None keeps the image as it is.

    Raises:
        ImageError: the bytes are not a readable image (``reason="corrupt"``), or its mode has more than 8 bits
            per channel (``reason="mode"``).
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            image.load()
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        Image.DecompressionBombWarning,
    ) as error:
        raise ImageError(
            file,
            "corrupt",
            f"cannot be decoded as an image ({error}); replace or delete the file, or set "
            "adapter.data.on_error=skip to skip unreadable files",
        ) from None
    image = ImageOps.exif_transpose(image)
    if image.mode not in CONVERTIBLE_MODES:
        raise ImageError(
            file,
            "mode",
            f"has PIL mode {image.mode!r} (more than 8 bits per channel), which cannot be converted "
            "to RGB without losing range; save it as an 8-bit RGB or greyscale image",
        )
    image = image.convert("RGB")
    if size is not None and image.size != (size, size):
        image = _resize_and_center_crop(image, size)
    return np.asarray(image, dtype=np.uint8)


def _resize_and_center_crop(image: Image.Image, size: int) -> Image.Image:
    width, height = image.size
    scale = size / min(width, height)
    resized = image.resize(
        (max(size, round(width * scale)), max(size, round(height * scale))), Image.Resampling.BILINEAR
    )
    left, top = (resized.width - size) // 2, (resized.height - size) // 2
    return resized.crop((left, top, left + size, top + size))
