"""Labelled Gaussian clusters: embeddings whose classes a probe can separate, but not perfectly."""

from __future__ import annotations

import numpy as np


def clustered(
    rows: int, dim: int = 16, classes: int = 4, *, spread: float = 1.5, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """``(rows, dim)`` float64 points around ``classes`` random centres, and their labels (balanced)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(classes, dim))
    labels = rng.permutation(np.arange(rows) % classes)
    return centres[labels] + spread * rng.normal(size=(rows, dim)), labels
