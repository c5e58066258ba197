"""Reading images: folders, archives, arrays and `datasets` tables; modes converted as PIL does; bad files named."""

from __future__ import annotations

import io
import tarfile
import zipfile
from pathlib import Path

import datasets
import numpy as np
import pytest
import torch
from PIL import Image

from mmcl.adapters.image import (
    ImageData,
    ImageError,
    ImageReadReport,
    decode_image,
    images_from_dataset,
    list_image_files,
    load_array_images,
    read_images,
)
from tests.adapters.image.conftest import CLASS_COLOURS, class_image, write_class_folder


def read(path: Path, subset: int | None = None, **options) -> object:
    data = ImageData(train=str(path), **options)
    return read_images(path, data, subset=subset, report=ImageReadReport())


def pil_rgb(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"))


def test_labels_are_the_sorted_class_folder_names(image_folder: Path) -> None:
    images = read(image_folder)
    assert images.class_names == ["blue", "red"]
    assert images.pixels.shape == (12, 3, 32, 32) and images.pixels.dtype == torch.uint8
    assert images.labels.tolist() == [0] * 6 + [1] * 6
    np.testing.assert_array_equal(
        images.pixels[7].permute(1, 2, 0).numpy(), pil_rgb(image_folder / "red/001.png")
    )


def test_images_directly_in_the_folder_are_unlabelled(tmp_path: Path) -> None:
    Image.fromarray(class_image((1, 2, 3), seed=0)).save(tmp_path / "a.png")
    assert read(tmp_path).labels is None


@pytest.mark.parametrize(
    ("mode", "make"),
    [
        ("RGBA", lambda rgb: Image.fromarray(np.dstack([rgb, np.full(rgb.shape[:2], 90, np.uint8)]), "RGBA")),
        ("L", lambda rgb: Image.fromarray(rgb).convert("L")),
        ("P", lambda rgb: Image.fromarray(rgb).convert("P")),
        ("CMYK", lambda rgb: Image.fromarray(rgb).convert("CMYK")),
        ("1", lambda rgb: Image.fromarray(rgb).convert("1")),
    ],
)
def test_other_modes_become_rgb_exactly_as_pil_converts_them(tmp_path: Path, mode: str, make) -> None:
    image = make(class_image((100, 150, 200), seed=1))
    assert image.mode == mode
    path = tmp_path / ("x.tiff" if mode == "CMYK" else "x.png")
    image.save(path)
    decoded = decode_image(path.read_bytes(), str(path))
    np.testing.assert_array_equal(decoded, pil_rgb(path))
    if mode in ("L", "1"):
        assert (decoded[..., 0] == decoded[..., 1]).all() and (decoded[..., 1] == decoded[..., 2]).all()


def test_exif_orientation_is_applied(tmp_path: Path) -> None:
    pixels = np.zeros((8, 16, 3), np.uint8)
    pixels[:, :8] = 255  # left half white
    exif = Image.Exif()
    exif[0x0112] = 3  # rotated 180 degrees
    Image.fromarray(pixels).save(tmp_path / "r.png", exif=exif)
    decoded = decode_image((tmp_path / "r.png").read_bytes(), "r.png")
    assert decoded[:, 8:].min() == 255 and decoded[:, :8].max() == 0


def test_a_corrupt_file_is_named_and_skipped_on_request(image_folder: Path) -> None:
    (image_folder / "red" / "broken.jpg").write_bytes(b"\xff\xd8 this is not a jpeg")
    with pytest.raises(ImageError, match=r"red/broken\.jpg: cannot be decoded.*on_error=skip"):
        read(image_folder)
    report = ImageReadReport()
    images = read_images(
        image_folder, ImageData(train=str(image_folder), on_error="skip"), subset=None, report=report
    )
    assert len(images) == 12 and report.skipped == {"corrupt": 1}
    assert "broken.jpg" in report.summary()


def test_sixteen_bit_images_are_reported_not_clipped(tmp_path: Path) -> None:
    Image.fromarray(np.full((8, 8), 40000, np.uint16)).save(tmp_path / "deep.png")
    with pytest.raises(ImageError, match=r"deep\.png: has PIL mode 'I;16'"):
        decode_image((tmp_path / "deep.png").read_bytes(), str(tmp_path / "deep.png"))


def test_an_odd_sized_image_is_named_or_resized(image_folder: Path) -> None:
    Image.fromarray(class_image((9, 9, 9), seed=5, size=40)[:, :30]).save(image_folder / "blue" / "odd.png")
    with pytest.raises(ImageError, match=r"odd\.png: is 30x40 pixels.*resize_to"):
        read(image_folder)
    images = read(image_folder, resize_to=24)
    assert images.pixels.shape == (13, 3, 24, 24)


def test_a_tiny_image_is_upsampled_when_resizing(tmp_path: Path) -> None:
    Image.new("RGB", (2, 3), (10, 200, 30)).save(tmp_path / "tiny.png")
    decoded = decode_image((tmp_path / "tiny.png").read_bytes(), "tiny.png", size=16)
    assert decoded.shape == (16, 16, 3) and (decoded == [10, 200, 30]).all()


def test_an_empty_folder_names_the_folder(tmp_path: Path) -> None:
    (tmp_path / "empty" / "cats").mkdir(parents=True)
    with pytest.raises(ValueError, match=r"empty: holds no image file"):
        read(tmp_path / "empty")


def test_images_beside_class_folders_are_refused(image_folder: Path) -> None:
    Image.fromarray(class_image((1, 1, 1), seed=0)).save(image_folder / "stray.png")
    with pytest.raises(ValueError, match=r"stray\.png"):
        list_image_files(image_folder)


@pytest.mark.parametrize("suffix", [".tar", ".tar.gz", ".zip"])
def test_archives_read_without_extracting_equal_the_folder(
    image_folder: Path, tmp_path: Path, suffix: str
) -> None:
    archive = tmp_path / f"images{suffix}"
    files = sorted(p for p in image_folder.rglob("*.png"))
    if suffix == ".zip":
        with zipfile.ZipFile(archive, "w") as zipped:
            for path in files:
                zipped.write(path, f"train/{path.relative_to(image_folder).as_posix()}")
    else:
        with tarfile.open(archive, "w:gz" if suffix.endswith("gz") else "w") as tarred:
            for path in files:
                tarred.add(path, f"train/{path.relative_to(image_folder).as_posix()}")
    from_archive, from_folder = read(archive), read(image_folder)
    assert from_archive.class_names == ["blue", "red"]  # the single top folder `train/` is the root
    assert torch.equal(from_archive.pixels, from_folder.pixels)
    assert torch.equal(from_archive.labels, from_folder.labels)
    assert list(tmp_path.glob("**/train")) == []  # nothing extracted


def test_a_subset_is_seeded_and_spans_the_classes(tmp_path: Path) -> None:
    folder = write_class_folder(tmp_path / "many", per_class=20)
    first, again = read(folder, subset=10), read(folder, subset=10)
    assert torch.equal(first.pixels, again.pixels) and len(first) == 10
    assert set(first.labels.tolist()) == {0, 1}
    assert not torch.equal(read(folder, subset=10, subset_seed=1).pixels, first.pixels)


def test_beyond_the_cache_budget_the_images_are_streamed_alike(image_folder: Path) -> None:
    cached = read(image_folder)
    stream = read(image_folder, cache_budget_mb=0.001)
    assert isinstance(stream, datasets.IterableDataset)
    rows = list(stream)
    assert torch.equal(torch.stack([torch.as_tensor(row["pixels"]) for row in rows]), cached.pixels)
    assert [int(row["label"]) for row in rows] == cached.labels.tolist()


def test_npz_arrays_with_labels_and_npy_greyscale(tmp_path: Path) -> None:
    pixels = np.stack([class_image(colour, seed=i) for i, colour in enumerate(CLASS_COLOURS.values())])
    np.savez(tmp_path / "a.npz", images=pixels, labels=np.array([7, 3]))
    images = load_array_images(tmp_path / "a.npz")
    assert torch.equal(images.pixels, torch.from_numpy(pixels).permute(0, 3, 1, 2))
    assert images.labels.tolist() == [1, 0] and images.class_names == ["3", "7"]
    np.save(tmp_path / "grey.npy", pixels[..., 0])
    grey = load_array_images(tmp_path / "grey.npy").pixels
    assert grey.shape == (2, 3, 32, 32) and torch.equal(grey[:, 0], grey[:, 2])


def test_float_arrays_are_refused_with_the_conversion(tmp_path: Path) -> None:
    np.save(tmp_path / "f.npy", np.random.rand(2, 8, 8, 3))
    with pytest.raises(ValueError, match=r"f\.npy: images must be uint8.*astype"):
        load_array_images(tmp_path / "f.npy")


def test_a_saved_datasets_table_with_an_image_column(tmp_path: Path, image_folder: Path) -> None:
    paths = sorted(image_folder.rglob("*.png"))
    table = datasets.Dataset.from_dict(
        {"img": [str(p) for p in paths], "y": [p.parent.name for p in paths]},
        features=datasets.Features(
            {"img": datasets.Image(), "y": datasets.ClassLabel(names=["blue", "red"])}
        ),
    )
    table.save_to_disk(str(tmp_path / "table"))
    images = read(tmp_path / "table", image_column="img", label_column="y")
    assert torch.equal(images.pixels, read(image_folder).pixels)
    assert images.class_names == ["blue", "red"] and images.labels.tolist() == [0] * 6 + [1] * 6
    with pytest.raises(ValueError, match=r"needs an Image column named 'image'.*img \(Image\)"):
        images_from_dataset(table)


def test_a_corrupt_row_of_a_table_is_named(tmp_path: Path) -> None:
    good = io.BytesIO()
    Image.new("RGB", (4, 4)).save(good, format="PNG")
    table = datasets.Dataset.from_dict(
        {"image": [{"bytes": good.getvalue(), "path": None}, {"bytes": b"junk", "path": None}]},
        features=datasets.Features({"image": datasets.Image()}),
    )
    with pytest.raises(ImageError, match=r"dataset\[1\]"):
        images_from_dataset(table)
    report = ImageReadReport()
    assert len(images_from_dataset(table, on_error="skip", report=report)) == 1 and report.skipped == {
        "corrupt": 1
    }


def test_cifar10_archive_reads_in_the_standard_class_order(cifar_dir: Path) -> None:
    images = read(cifar_dir / "cifar10_test_jpg.tar.gz", subset=500)
    assert images.class_names == [
        "airplane",
        "automobile",
        "bird",
        "cat",
        "deer",
        "dog",
        "frog",
        "horse",
        "ship",
        "truck",
    ]
    assert images.pixels.shape == (500, 3, 32, 32) and images.labels.bincount().min() > 20
