"""Bad input, raised or skipped and counted: the one mechanism behind every adapter's readers.

A reader takes ``on_error="raise"`` (the first bad file, record or row stops reading with an `InputError`
naming it and the fix) or ``on_error="skip"`` (it is left out, the first few are logged, and all are counted
by reason in the reader's report, a dataclass with `SkipCounting`).

Example:
    >>> from collections import Counter
    >>> from dataclasses import dataclass, field
    >>> @dataclass
    ... class Report(SkipCounting):
    ...     skipped: Counter = field(default_factory=Counter)
    ...     messages: list = field(default_factory=list)
    >>> report = Report()
    >>> report.handle(InputError("data/100", "nan", "lead 1 has NaNs"), on_error="skip")
    >>> report.skipped_reasons()
    'nan: 1'
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import Literal

logger = logging.getLogger(__name__)

OnError = Literal["raise", "skip"]

KEPT_MESSAGES = 20
"""How many skip messages a report keeps (and logs)."""


def check_on_error(on_error: str) -> None:
    """Fail unless ``on_error`` is ``"raise"`` or ``"skip"``."""
    if on_error not in ("raise", "skip"):
        raise ValueError(f"on_error must be 'raise' or 'skip', got {on_error!r}")


class InputError(ValueError):
    """One bad input (file, record, row or window), with a short machine-readable ``reason``.

    Args:
        where: what was being read, e.g. ``"data/100"``, ``"ECG200_TRAIN.tsv:17"`` or ``"cats/1.jpg"``.
        reason: the key it is counted under when skipped (``"nan"``, ``"corrupt"``, ``"empty_text"``, ...).
        message: what is wrong and what to do about it.
    """

    def __init__(self, where: str, reason: str, message: str) -> None:
        super().__init__(f"{where}: {message}")
        self.where = where
        self.reason = reason


class SkipCounting:
    """``handle`` / ``skip`` for a report with ``skipped: Counter[str]`` and ``messages: list[str]`` fields."""

    skipped: Counter[str]
    messages: list[str]

    def handle(self, error: InputError, on_error: OnError) -> None:
        """Raise ``error`` when ``on_error == "raise"``, else count it as skipped."""
        if on_error == "raise":
            raise error
        self.skip(error)

    def skip(self, error: InputError) -> None:
        """Count ``error`` under its reason (and keep and log the first few)."""
        self.skipped[error.reason] += 1
        if len(self.messages) < KEPT_MESSAGES:
            self.messages.append(str(error))
            logger.warning("skipped %s", error)

    def skipped_reasons(self) -> str:
        """``"reason: count"`` pairs, sorted by reason, e.g. ``"corrupt: 2, mode: 1"``."""
        return ", ".join(f"{reason}: {count}" for reason, count in sorted(self.skipped.items()))
