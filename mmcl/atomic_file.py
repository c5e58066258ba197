"""Files that appear complete or not at all: write a hidden sibling, flush it, then rename it into place.

A crash while writing leaves the previous file (or none) at the destination, never a half-written one; the
temporary sibling is removed when the write raises.

Example:
    >>> import tempfile
    >>> from pathlib import Path
    >>> from mmcl.atomic_file import write_atomically
    >>> target = Path(tempfile.mkdtemp()) / "metrics.json"
    >>> write_atomically(target, lambda path: path.write_text("{}")).read_text()
    '{}'
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path


def write_atomically(path: str | os.PathLike[str], write: Callable[[Path], object]) -> Path:
    """Call ``write(temporary_path)``, then move the written file to ``path`` with ``os.replace``.

    Args:
        path: the destination; missing parent folders are created.
        write: writes the whole file at the path it is given (e.g. ``figure.savefig`` or ``Path.write_text``).

    Returns:
        ``path`` as a ``Path``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        write(temporary)
        with open(temporary, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
        raise
    return path
