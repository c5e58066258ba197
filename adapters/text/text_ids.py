"""Stable 63-bit ids of texts, so identical texts can be recognised across a batch, processes and a queue.

The id is the first 8 bytes of the BLAKE2b digest of the UTF-8 text, shifted into the non-negative int64 range:
the same on every process and every run (Python's ``hash`` is salted per process). Two different texts share
an id with probability about ``n² / 2⁶⁴``.

Example:
    >>> text_ids(["A cat.", "A dog.", "A cat."]).tolist()[0] == text_ids(["A cat."]).item()
    True
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import torch


def text_ids(texts: Sequence[str]) -> torch.Tensor:
    """``(len(texts),)`` int64 ids; equal texts (exactly, after nothing is normalised) get equal ids."""
    return torch.tensor(
        [
            int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "little") >> 1
            for text in texts
        ],
        dtype=torch.long,
    )
