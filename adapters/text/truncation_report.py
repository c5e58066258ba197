"""How many texts a token limit cuts, and by how much — reported before training, never silent.

Example:
    >>> report = measure_truncation([12, 40, 300, 9, 130], max_length=128, role="training texts")
    >>> report.truncated, report.max_tokens_lost
    (2, 172)
    >>> print(report.summary())
    2 of 5 training texts (40.0%) are longer than 128 tokens and are truncated: by 87.0 tokens on average, at most 172 (the longest has 300 tokens)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class TruncationReport:
    """Truncation of a set of texts at ``max_length`` tokens.

    Attributes:
        role: what the texts are, for the message (``"training texts"``).
        texts: texts measured.
        max_length: the token limit (special tokens included).
        truncated: texts longer than the limit.
        mean_tokens_lost: tokens cut per truncated text, on average (0 when none is).
        max_tokens_lost: tokens cut from the longest text.
        longest: tokens of the longest text.
    """

    role: str
    texts: int
    max_length: int
    truncated: int
    mean_tokens_lost: float
    max_tokens_lost: int
    longest: int

    def summary(self) -> str:
        """One sentence for the log."""
        if not self.truncated:
            return f"none of the {self.texts} {self.role} is longer than {self.max_length} tokens (the longest has {self.longest})"
        share = 100 * self.truncated / self.texts
        return (
            f"{self.truncated} of {self.texts} {self.role} ({share:.1f}%) are longer than {self.max_length} tokens "
            f"and are truncated: by {self.mean_tokens_lost:.1f} tokens on average, at most {self.max_tokens_lost} "
            f"(the longest has {self.longest} tokens)"
        )


def measure_truncation(lengths: Sequence[int], max_length: int, *, role: str = "texts") -> TruncationReport:
    """The truncation of texts of ``lengths`` tokens (untruncated, special tokens included) at ``max_length``."""
    lost = [length - max_length for length in lengths if length > max_length]
    return TruncationReport(
        role=role,
        texts=len(lengths),
        max_length=max_length,
        truncated=len(lost),
        mean_tokens_lost=sum(lost) / len(lost) if lost else 0.0,
        max_tokens_lost=max(lost, default=0),
        longest=max(lengths, default=0),
    )
