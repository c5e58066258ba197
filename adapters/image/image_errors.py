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

from mmcl.skipped_inputs import InputError, OnError, SkipCounting

__all__ = ["ImageError", "ImageReadReport", "OnError"]


class ImageError(InputError):
    """One bad image file: ``ImageError(file, reason, message)``, ``reason`` one of ``"corrupt"``, ``"mode"``,
    ``"size"``, ... (the key the file is counted under when skipped)."""


@dataclass
class ImageReadReport(SkipCounting):
    """Counts of the images read and of the files skipped, by reason.

    Attributes:
        images: images read successfully.
        skipped: skipped files per reason.
        messages: the first few skip messages.
    """

    images: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    messages: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line for the log: how many files were skipped, why, and the first message."""
        if not self.skipped:
            return "skipped no image"
        return f"skipped {sum(self.skipped.values())} image(s): {self.skipped_reasons()} (first: {self.messages[0]})"
