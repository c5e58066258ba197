"""Images from a Hugging Face `datasets` table with an ``Image`` column (and an optional label column).

The table is a folder written by ``Dataset.save_to_disk`` or a ``datasets.Dataset`` in memory. Each image is
decoded from its stored bytes by `decode_image`, so greyscale, palette, RGBA and CMYK images are converted and
corrupt ones reported with their row, as for files. A ``ClassLabel`` column keeps its class names.

Example:
    >>> import datasets, numpy as np
    >>> from PIL import Image
    >>> table = datasets.Dataset.from_dict(
    ...     {"image": [Image.new("RGB", (8, 8)), Image.new("L", (8, 8))], "label": [0, 1]},
    ...     features=datasets.Features({"image": datasets.Image(), "label": datasets.ClassLabel(names=["a", "b"])}),
    ... )
    >>> images = images_from_dataset(table)
    >>> images.pixels.shape, images.class_names
    (torch.Size([2, 3, 8, 8]), ['a', 'b'])
"""

from __future__ import annotations

from pathlib import Path

import datasets
import numpy as np
import torch

from mmcl.adapters.image.decoded_images import DecodedImages
from mmcl.adapters.image.image_decoding import decode_image
from mmcl.adapters.image.image_errors import ImageError, ImageReadReport, OnError


def is_saved_dataset(path: Path) -> bool:
    """Whether ``path`` is a folder written by ``datasets.Dataset.save_to_disk``."""
    return path.is_dir() and (path / "dataset_info.json").is_file() and (path / "state.json").is_file()


def images_from_dataset(
    table: datasets.Dataset | str | Path,
    *,
    image_column: str = "image",
    label_column: str | None = "label",
    size: int | None = None,
    on_error: OnError = "raise",
    report: ImageReadReport | None = None,
) -> DecodedImages:
    """Decode ``table[image_column]`` into `DecodedImages`, with class ids from ``label_column`` if it exists.

    Raises:
        ValueError: the image column is missing or not an ``Image`` column (the message lists the columns).
        ImageError: a row's image is corrupt or of another size (with ``on_error="raise"``).
    """
    source = str(table) if not isinstance(table, datasets.Dataset) else "dataset"
    if not isinstance(table, datasets.Dataset):
        table = datasets.load_from_disk(str(table))
    if image_column not in table.column_names or not isinstance(table.features[image_column], datasets.Image):
        raise ValueError(
            f"{source}: needs an Image column named {image_column!r}; its columns are "
            f"{', '.join(f'{name} ({type(feature).__name__})' for name, feature in table.features.items())}; "
            "set adapter.data.image_column"
        )
    report = report if report is not None else ImageReadReport()
    has_labels = label_column is not None and label_column in table.column_names
    rows = table.cast_column(image_column, datasets.Image(decode=False))
    pixels, labels = [], []
    expected = None
    for row_index, row in enumerate(rows):
        name = f"{source}[{row_index}] ({row[image_column].get('path') or 'embedded bytes'})"
        try:
            pixel_array = decode_image(_image_bytes(row[image_column], name), name, size)
            if expected is not None and pixel_array.shape != expected:
                raise ImageError(
                    name,
                    "size",
                    f"is {pixel_array.shape[1]}x{pixel_array.shape[0]} pixels, the rows before it are "
                    f"{expected[1]}x{expected[0]}; set adapter.data.resize_to=<pixels>",
                )
        except ImageError as error:
            report.handle(error, on_error)
            continue
        expected = pixel_array.shape
        report.images += 1
        pixels.append(pixel_array)
        labels.append(row[label_column] if has_labels else None)
    if not pixels:
        raise ValueError(f"{source}: no image could be read; {report.summary()}")
    stacked = torch.from_numpy(np.stack(pixels)).permute(0, 3, 1, 2).contiguous()
    if not has_labels:
        return DecodedImages(stacked, None, [], source)
    feature = table.features[label_column]
    values = torch.tensor(labels, dtype=torch.int64)
    if isinstance(feature, datasets.ClassLabel):
        return DecodedImages(stacked, values, list(feature.names), source)
    classes, ids = torch.unique(values, return_inverse=True)
    return DecodedImages(stacked, ids, [str(int(c)) for c in classes], source)


def _image_bytes(value: dict, name: str) -> bytes:
    if value.get("bytes") is not None:
        return value["bytes"]
    if value.get("path"):
        try:
            return Path(value["path"]).read_bytes()
        except OSError as error:
            raise ImageError(name, "missing", f"cannot be read ({error})") from None
    raise ImageError(name, "missing", "has neither bytes nor a path; the row holds no image")
