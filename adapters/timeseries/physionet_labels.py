"""PhysioNet / CinC Challenge labels: the SNOMED-CT codes of a WFDB header's ``# Dx:`` comment line.

CinC 2020/2021 headers end with comment lines such as ``# Dx: 164889003,59118001`` listing every diagnosis
of the recording (multi-label).

Example:
    >>> dx_codes(["Age: 78", "Sex: Male", "Dx: 67741000119109,426177001"])
    ['67741000119109', '426177001']
"""

from __future__ import annotations

from collections.abc import Sequence


def dx_codes(comments: Sequence[str]) -> list[str] | None:
    """The codes of the ``Dx:`` comment (header comments without the leading ``#``), or None if absent."""
    for comment in comments:
        key, separator, value = comment.strip().lstrip("#").strip().partition(":")
        if separator and key.strip().lower() == "dx":
            return [code.strip() for code in value.split(",") if code.strip()]
    return None
