"""What the image readers do with a bad file: raise an `ImageError` naming it, or skip it and count it.

Readers take ``on_error="raise"`` (default: the first corrupt, unreadable or wrongly sized image stops
reading with a message naming the file and the fix) or ``on_error="skip"`` (the file is left out and counted
by reason in an `ImageReadReport`, whose summary the adapter prints).

Example:
    >>> report = ImageReadReport()
    >>> report.handle(ImageError("cats/1.jpg", "corrupt", "cannot be decoded"), on_error="skip")
    >>> report.summary()
    'skipped 1 image(s): corrupt: 1 (first: cats/1.jpg: cannot be decoded)'
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

OnError = Literal["raise", "skip"]

_KEPT_MESSAGES = 10


class ImageError(ValueError):
    """One bad image file, with a short machine-readable ``reason`` (``"corrupt"``, ``"mode"``, ``"size"``).

    Args:
        file: the file (or archive member, or row) that was being read.
        reason: the key the file is counted under when skipped.
        message: what is wrong and what to do about it.
    """

    def __init__(self, file: str, reason: str, message: str) -> None:
        super().__init__(f"{file}: {message}")
        self.file = file
        self.reason = reason


@dataclass
class ImageReadReport:
    """Counts of the images read and of the files skipped, by reason.

    Attributes:
        images: images read successfully.
        skipped: skipped files per reason.
        messages: the first few skip messages.
    """

    images: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    messages: list[str] = field(default_factory=list)

    def handle(self, error: ImageError, on_error: OnError) -> None:
        """Raise ``error`` when ``on_error == "raise"``, else count it as skipped."""
        if on_error == "raise":
            raise error
        self.skipped[error.reason] += 1
        if len(self.messages) < _KEPT_MESSAGES:
            self.messages.append(str(error))

    def summary(self) -> str:
        """One line for the log: how many files were skipped, why, and the first message."""
        if not self.skipped:
            return "skipped no image"
        reasons = ", ".join(f"{reason}: {count}" for reason, count in sorted(self.skipped.items()))
        return f"skipped {sum(self.skipped.values())} image(s): {reasons} (first: {self.messages[0]})"
