"""Image files in a folder or an archive, with the class each belongs to — read without extracting.

A source is a folder, a ``.tar`` / ``.tar.gz`` / ``.tgz`` / ``.tar.bz2`` / ``.tar.xz`` archive or a ``.zip``
archive. An image's class is its first sub-folder under the root (torchvision's ``ImageFolder`` layout,
``root/<class>/<file>``); images directly in the root have no class. An archive holding a single top folder
(``train/<class>/0001.jpg``) has that folder as its root. Files are listed in a fixed order (sorted paths for
folders and zips, member order for tars), so a seeded subset picks the same images every time.

Example:
    >>> listing = list_image_files("cifar10_train_jpg.tar.gz")  # doctest: +SKIP
    >>> listing.files[0]  # doctest: +SKIP
    ImageFile(member='train/airplane/0000.jpg', class_name='airplane')
"""

from __future__ import annotations

import tarfile
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

IMAGE_SUFFIXES = frozenset(
    {".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff", ".ppm", ".pgm"}
)
"""File name endings read as images (case-insensitive); other files are ignored."""

TAR_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz")
ZIP_SUFFIXES = (".zip",)


@dataclass(frozen=True)
class ImageFile:
    """One image of a source: its path inside the folder or archive, and its class (None: unlabelled)."""

    member: str
    class_name: str | None


@dataclass(frozen=True)
class ImageListing:
    """The images of ``source`` in reading order."""

    source: Path
    files: list[ImageFile]

    def display_name(self, file: ImageFile) -> str:
        """How errors name ``file``: ``archive.tar.gz:train/cat/1.jpg`` or the file's path."""
        return str(self.source / file.member) if self.source.is_dir() else f"{self.source}:{file.member}"


def is_archive(path: Path) -> bool:
    """Whether ``path`` is named like a tar or zip archive."""
    return path.name.lower().endswith(TAR_SUFFIXES + ZIP_SUFFIXES)


def list_image_files(path: str | Path) -> ImageListing:
    """The image files of a folder or archive, each with its class.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: ``path`` is neither a folder nor an archive, holds no image file (the message names it), or
            mixes images in the root with images in class sub-folders.
    """
    source = Path(path).expanduser()
    if not source.exists():
        raise FileNotFoundError(f"{source}: no such folder or archive")
    if source.is_dir():
        members = sorted(
            p.relative_to(source).as_posix()
            for p in source.rglob("*")
            if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file()
        )
        root = ""
    elif is_archive(source):
        members = _archive_members(source)
        root = _single_top_folder(members)
    else:
        raise ValueError(
            f"{source}: not an image folder or archive; pass a folder of class sub-folders, a "
            f"{' / '.join(TAR_SUFFIXES + ZIP_SUFFIXES)} archive, a .npy / .npz array or a saved `datasets` folder"
        )
    if not members:
        raise ValueError(
            f"{source}: holds no image file ({', '.join(sorted(IMAGE_SUFFIXES))}); point the recipe at the "
            "folder or archive that contains the images"
        )
    files = [ImageFile(member, _class_name(member, root)) for member in members]
    labelled = [file.class_name is not None for file in files]
    if any(labelled) and not all(labelled):
        stray = next(file.member for file in files if file.class_name is None)
        raise ValueError(
            f"{source}: mixes images in class sub-folders with images directly in the root (e.g. {stray}); "
            "move every image into a class sub-folder, or all of them into the root (unlabelled)"
        )
    return ImageListing(source, files)


def read_image_files(listing: ImageListing, files: Sequence[ImageFile]) -> Iterator[tuple[ImageFile, bytes]]:
    """The bytes of ``files`` (a subset of ``listing.files``), in the listing's order; an archive is read once,
    sequentially, without extracting anything to disk."""
    wanted = {file.member: file for file in files}
    source = listing.source
    if source.is_dir():
        for member, file in wanted.items():
            yield file, (source / member).read_bytes()
    elif source.name.lower().endswith(ZIP_SUFFIXES):
        with zipfile.ZipFile(source) as archive:
            for member, file in wanted.items():
                yield file, archive.read(member)
    else:
        with tarfile.open(source, "r:*") as archive:
            for info in archive:
                file = wanted.get(info.name)
                if file is not None:
                    extracted = archive.extractfile(info)
                    yield file, extracted.read() if extracted is not None else b""


def _archive_members(source: Path) -> list[str]:
    try:
        if source.name.lower().endswith(ZIP_SUFFIXES):
            with zipfile.ZipFile(source) as archive:
                names = sorted(info.filename for info in archive.infolist() if not info.is_dir())
        else:
            with tarfile.open(source, "r:*") as archive:
                names = [info.name for info in archive if info.isfile()]
    except (tarfile.TarError, zipfile.BadZipFile, EOFError, OSError) as error:
        raise ValueError(f"{source}: cannot be read as an archive ({error}); check the download") from None
    return [name for name in names if PurePosixPath(name).suffix.lower() in IMAGE_SUFFIXES]


def _single_top_folder(members: list[str]) -> str:
    """``"train/"`` when every member lies under that one top folder, else ``""``."""
    tops = {PurePosixPath(member).parts[0] for member in members if len(PurePosixPath(member).parts) > 1}
    if len(tops) == 1 and all(len(PurePosixPath(member).parts) > 1 for member in members):
        return f"{tops.pop()}/"
    return ""


def _class_name(member: str, root: str) -> str | None:
    parts = PurePosixPath(member.removeprefix(root)).parts
    return parts[0] if len(parts) > 1 else None
