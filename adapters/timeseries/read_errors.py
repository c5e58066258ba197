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

from collections import Counter
from dataclasses import dataclass, field

from mmcl.skipped_inputs import KEPT_MESSAGES, InputError, OnError, SkipCounting, check_on_error

__all__ = ["OnError", "ReadReport", "RecordError", "check_on_error"]


class RecordError(InputError):
    """Bad input in one record (file, row or window): ``RecordError(record, reason, message)``.

    ``record`` is what was being read, e.g. ``"data/100"`` or ``"ECG200_TRAIN.tsv:17"``; ``reason`` the key the
    skip is counted under (``"nan"``, ``"flat_lead"``, ``"missing_file"``, ...).
    """


@dataclass
class ReadReport(SkipCounting):
    """Counts of the examples a reader produced and of what it skipped, by reason.

    Attributes:
        examples: Examples produced.
        skipped: Skipped items per reason.
        messages: The first few skip messages, for the log of a run.
    """

    examples: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    messages: list[str] = field(default_factory=list)

    def merge(self, other: ReadReport) -> None:
        """Add the counts of ``other`` to this report."""
        self.examples += other.examples
        self.skipped.update(other.skipped)
        self.messages.extend(other.messages[: max(0, KEPT_MESSAGES - len(self.messages))])

    def to_dict(self) -> dict:
        return {"examples": self.examples, "skipped": dict(self.skipped), "messages": list(self.messages)}

    @classmethod
    def from_dict(cls, data: dict) -> ReadReport:
        return cls(data["examples"], Counter(data["skipped"]), list(data["messages"]))

    def __str__(self) -> str:
        reasons = self.skipped_reasons()
        return f"{self.examples} examples, {sum(self.skipped.values())} skipped" + (
            f" ({reasons})" if reasons else ""
        )
