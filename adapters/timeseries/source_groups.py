"""Single-source groups of training windows, every source with the same number of groups.

TS2Vec trains on one data set at a time, so the other samples of a batch — the instance term's negatives —
come from the same data set. Pretraining on several data sets at once with shuffled mixed batches loses
this, and lets the largest data set drown the others (with the shipped defaults ECG5000 gives 4,000 windows
of 82 samples and TwoLeadECG 23). Grouping restores both: each source's windows are cut into groups of
``group_size`` windows (concatenated random permutations of the source, so that a window repeats within a
group only when the source is smaller than the group), and every source gets as many groups as the largest
source needs. A training batch of whole groups then holds windows of a single source, and every source
comes up equally often.

Example:
    >>> import numpy as np
    >>> small, large = np.zeros((20, 1, 8)), np.ones((100, 1, 8))
    >>> source_groups([small, large], group_size=16, seed=0).shape  # 7 groups per source
    (14, 16, 1, 8)
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np


def source_groups(sources: Sequence[np.ndarray], group_size: int, *, seed: int = 0) -> np.ndarray:
    """Groups ``(G, group_size, leads, time)`` of windows of one source each, the same count per source.

    Args:
        sources: one array of windows ``(N_i, leads, time)`` per source, each with at least one window.
        group_size: windows per group (the batch size of one training step when a batch is one group).
        seed: seeds the permutations.

    Returns:
        The groups of source 0, then of source 1, ...: ``ceil(max(N_i) / group_size)`` groups per source.
        Each source's rows are a concatenation of random permutations of its windows, cut into groups.

    Raises:
        ValueError: ``group_size`` < 1, a source has no windows, or sources differ in window shape.

    Example:
        >>> groups = source_groups([np.arange(3.0)[:, None, None], np.zeros((5, 1, 1))], group_size=2)
        >>> groups.shape, sorted(groups[:3].ravel().tolist())
        ((6, 2, 1, 1), [0.0, 0.0, 1.0, 1.0, 2.0, 2.0])
    """
    if group_size < 1:
        raise ValueError(f"source_groups: group_size must be >= 1, got {group_size}")
    empty = [index for index, windows in enumerate(sources) if len(windows) == 0]
    if empty:
        raise ValueError(f"source_groups: source(s) {empty} have no windows; drop them before grouping")
    if len({windows.shape[1:] for windows in sources}) > 1:
        shapes = [tuple(windows.shape[1:]) for windows in sources]
        raise ValueError(f"source_groups: every source needs the same window shape, got {shapes}")
    rng = np.random.default_rng(seed)
    groups_per_source = math.ceil(max(len(windows) for windows in sources) / group_size)
    rows = groups_per_source * group_size
    grouped = []
    for windows in sources:
        order = np.concatenate([rng.permutation(len(windows)) for _ in range(math.ceil(rows / len(windows)))])
        grouped.append(windows[order[:rows]].reshape(groups_per_source, group_size, *windows.shape[1:]))
    return np.concatenate(grouped)
