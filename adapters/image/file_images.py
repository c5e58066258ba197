"""Decode the images of a folder or archive: all at once into memory, or one by one as a stream.

Every image must come out at the same size: pass ``size`` to resize each (shorter side, centre crop), or
leave it None and the first image's size is the one all others must have — an image of another size is an
`ImageError` naming the file (skipped and counted with ``on_error="skip"``).

Example:
    >>> listing = list_image_files("photos/")  # doctest: +SKIP
    >>> images = decode_image_files(listing, listing.files, size=64)  # doctest: +SKIP
    >>> images.pixels.shape  # doctest: +SKIP
    torch.Size([120, 3, 64, 64])
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import datasets
import numpy as np
import torch

from mmcl.adapters.image.decoded_images import DecodedImages
from mmcl.adapters.image.image_decoding import decode_image
from mmcl.adapters.image.image_errors import ImageError, ImageReadReport, OnError
from mmcl.adapters.image.image_files import ImageFile, ImageListing, read_image_files


def class_names_of(listing: ImageListing) -> list[str]:
    """The sorted class names of ``listing`` (ids are positions in this list); empty when unlabelled."""
    return sorted({file.class_name for file in listing.files if file.class_name is not None})


def decode_image_files(
    listing: ImageListing,
    files: Sequence[ImageFile],
    *,
    size: int | None = None,
    on_error: OnError = "raise",
    report: ImageReadReport | None = None,
) -> DecodedImages:
    """Decode ``files`` of ``listing`` into one uint8 ``(N, 3, S, S)`` tensor with their class ids.

    Raises:
        ImageError: a corrupt, unconvertible or differently sized image (with ``on_error="raise"``).
        ValueError: no image could be read.
    """
    report = report if report is not None else ImageReadReport()
    pixels, classes = [], []
    for pixel_array, class_name in _decoded(listing, files, size, on_error, report):
        pixels.append(pixel_array)
        classes.append(class_name)
    if not pixels:
        raise ValueError(
            f"{listing.source}: none of its {len(files)} image(s) could be read; {report.summary()}"
        )
    class_names = class_names_of(listing)
    labels = (
        torch.tensor([class_names.index(name) for name in classes], dtype=torch.int64)
        if class_names
        else None
    )
    stacked = torch.from_numpy(np.stack(pixels)).permute(0, 3, 1, 2).contiguous()
    return DecodedImages(stacked, labels, class_names, str(listing.source))


def stream_image_files(
    listing: ImageListing, files: Sequence[ImageFile], *, size: int | None = None, on_error: OnError = "raise"
) -> datasets.IterableDataset:
    """A stream of ``{"pixels": (3, S, S) uint8, "label": class id or -1}``, decoding each file when it is
    read (for data that does not fit in memory). Bad files raise or are skipped as in `decode_image_files`."""
    class_names = class_names_of(listing)

    def examples(files: list[ImageFile]) -> Iterator[dict[str, Any]]:
        for pixel_array, class_name in _decoded(listing, files, size, on_error, ImageReadReport()):
            label = class_names.index(class_name) if class_name is not None else -1
            yield {"pixels": np.ascontiguousarray(pixel_array.transpose(2, 0, 1)), "label": label}

    return datasets.IterableDataset.from_generator(examples, gen_kwargs={"files": list(files)}).with_format(
        "numpy"
    )


def _decoded(
    listing: ImageListing,
    files: Sequence[ImageFile],
    size: int | None,
    on_error: OnError,
    report: ImageReadReport,
) -> Iterator[tuple[np.ndarray, str | None]]:
    expected: tuple[int, ...] | None = None
    for file, data in read_image_files(listing, files):
        name = listing.display_name(file)
        try:
            pixel_array = decode_image(data, name, size)
            if expected is None:
                expected = pixel_array.shape
            elif pixel_array.shape != expected:
                raise ImageError(
                    name,
                    "size",
                    f"is {pixel_array.shape[1]}x{pixel_array.shape[0]} pixels, the images before it "
                    f"are {expected[1]}x{expected[0]}; set adapter.data.resize_to=<pixels> to resize every image "
                    "(shorter side, centre crop)",
                )
        except ImageError as error:
            report.handle(error, on_error)
            continue
        report.images += 1
        yield pixel_array, file.class_name
