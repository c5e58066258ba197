"""Folders that appear complete or not at all: write into a hidden sibling, then rename it into place.

A crash (an exception, SIGKILL, a lost node) while the folder is being written leaves only the hidden
``.<name>.partial`` sibling, which readers ignore and the next write replaces; the destination is either the
old complete folder or the new complete one.

Example:
    >>> import tempfile
    >>> from mmcl.atomic_folder import atomic_folder
    >>> root = Path(tempfile.mkdtemp())
    >>> with atomic_folder(root / "model") as folder:
    ...     _ = (folder / "config.json").write_text("{}")
    >>> sorted(p.name for p in root.iterdir())
    ['model']
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def partial_folder(destination: Path) -> Path:
    """The hidden sibling ``destination`` is written into before ``commit_folder`` renames it."""
    return destination.with_name(f".{destination.name}.partial")


def commit_folder(partial: Path, destination: Path) -> None:
    """Flush every file under ``partial`` to disk and rename it to ``destination`` (replacing an existing one:
    it is moved aside first and deleted once the new folder is in place)."""
    for path in partial.rglob("*"):
        if path.is_file():
            _fsync(path)
    displaced = None
    if destination.exists():
        displaced = destination.with_name(f".{destination.name}.replaced")
        shutil.rmtree(displaced, ignore_errors=True)
        os.replace(destination, displaced)
    os.replace(partial, destination)
    _fsync_directory(destination.parent)
    if displaced is not None:
        shutil.rmtree(displaced)


@contextmanager
def atomic_folder(destination: Path) -> Iterator[Path]:
    """Yield an empty folder to write into; on a clean exit it becomes ``destination``, on an exception it
    is deleted and ``destination`` is left as it was."""
    partial = partial_folder(destination)
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    try:
        yield partial
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    commit_folder(partial, destination)


def _fsync(path: Path) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def _fsync_directory(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
