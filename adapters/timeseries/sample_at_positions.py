"""Reading a batch of series at fractional timestamps by linear interpolation (batched, no Python loop).

Time warp and window slicing both resample each series at its own positions; this gathers the two
neighbouring samples of every position and blends them, which is ``grid_sample`` with
``align_corners=True`` restricted to one dimension.

Example:
    >>> import torch
    >>> x = torch.arange(5.0).view(1, 1, 5)
    >>> sample_at_positions(x, torch.tensor([[0.5, 3.25]]))
    tensor([[[0.5000, 3.2500]]])
"""

from __future__ import annotations

import torch


def sample_at_positions(x: torch.Tensor, positions: torch.Tensor) -> torch.Tensor:
    """Linear interpolation of ``x`` ``(batch, leads, time)`` at ``positions`` ``(batch, new_time)``.

    Positions are in samples (0 is the first timestamp, ``time - 1`` the last) and are clamped to that
    range. All leads of a sample are read at the same positions.

    Returns:
        ``(batch, leads, new_time)`` with the dtype of ``x``.
    """
    batch, leads, length = x.shape
    positions = positions.to(torch.float32).clamp(0, length - 1)
    left = positions.floor().long().clamp(max=max(length - 2, 0))
    right = (left + 1).clamp(max=length - 1)
    weight = (positions - left).unsqueeze(1).to(x.dtype)
    left_values = x.gather(2, left.unsqueeze(1).expand(batch, leads, -1))
    right_values = x.gather(2, right.unsqueeze(1).expand(batch, leads, -1))
    return left_values + weight * (right_values - left_values)
