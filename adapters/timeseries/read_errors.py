"""What the readers do with bad input: raise a `RecordError`, or skip it and count it in a `ReadReport`.

Every reader takes ``on_error="raise"`` (default: the first bad record, window or row stops reading with a
message naming it and the fix) or ``on_error="skip"`` (it is left out, logged, and counted by reason in the
``report`` passed to the reader).

Example:
    >>> report = ReadReport()
    >>> report.handle(RecordError("100", "nan", "lead 1 has NaNs"), on_error="skip")
    >>> report.skipped["nan"]
    1
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

logger = logging.getLogger(__name__)

OnError = Literal["raise", "skip"]

_KEPT_MESSAGES = 20


def check_on_error(on_error: str) -> None:
    """Fail unless ``on_error`` is ``"raise"`` or ``"skip"``."""
    if on_error not in ("raise", "skip"):
        raise ValueError(f"on_error must be 'raise' or 'skip', got {on_error!r}")


class RecordError(ValueError):
    """Bad input in one record (file, row or window), with a short machine-readable ``reason``.

    Args:
        record: What was being read, e.g. ``"data/100"`` or ``"ECG200_TRAIN.tsv:17"``.
        reason: Key the skip is counted under (``"nan"``, ``"flat_lead"``, ``"missing_file"``, ...).
        message: What is wrong and what to do about it.
    """

    def __init__(self, record: str, reason: str, message: str) -> None:
        super().__init__(f"{record}: {message}")
        self.record = record
        self.reason = reason


@dataclass
class ReadReport:
    """Counts of the examples a reader produced and of what it skipped, by reason.

    Attributes:
        examples: Examples produced.
        skipped: Skipped items per reason.
        messages: The first few skip messages, for the log of a run.
    """

    examples: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    messages: list[str] = field(default_factory=list)

    def handle(self, error: RecordError, on_error: OnError) -> None:
        """Raise ``error`` when ``on_error == "raise"``, else count it as skipped."""
        if on_error == "raise":
            raise error
        self.skip(error)

    def skip(self, error: RecordError) -> None:
        """Count ``error`` as a skipped item (and log the first few)."""
        self.skipped[error.reason] += 1
        if len(self.messages) < _KEPT_MESSAGES:
            self.messages.append(str(error))
            logger.warning("skipped %s", error)

    def merge(self, other: ReadReport) -> None:
        """Add the counts of ``other`` to this report."""
        self.examples += other.examples
        self.skipped.update(other.skipped)
        self.messages.extend(other.messages[: max(0, _KEPT_MESSAGES - len(self.messages))])

    def to_dict(self) -> dict:
        return {"examples": self.examples, "skipped": dict(self.skipped), "messages": list(self.messages)}

    @classmethod
    def from_dict(cls, data: dict) -> ReadReport:
        return cls(data["examples"], Counter(data["skipped"]), list(data["messages"]))

    def __str__(self) -> str:
        reasons = ", ".join(f"{reason}: {count}" for reason, count in sorted(self.skipped.items()))
        return f"{self.examples} examples, {sum(self.skipped.values())} skipped" + (
            f" ({reasons})" if reasons else ""
        )
