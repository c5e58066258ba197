"""Self-supervised methods over any encoder, and a registry so recipes name them by string.

Example:
    >>> from torch import nn
    >>> from mmcl.methods import build_method
    >>> method = build_method("simclr", nn.Linear(64, 32), feature_dim=32, temperature=0.2)
"""

from __future__ import annotations

from typing import Any

from torch import nn

from mmcl.methods.base import ContrastiveMethod
from mmcl.methods.byol import BYOL
from mmcl.methods.moco import MoCo
from mmcl.methods.simclr import SimCLR

METHODS: dict[str, type[ContrastiveMethod]] = {"simclr": SimCLR, "moco": MoCo, "byol": BYOL}


def register_method(name: str, method: type[ContrastiveMethod]) -> None:
    """Make a third-party method available to recipes as ``method: {name: ...}``."""
    METHODS[name] = method


def build_method(
    name: str, encoder: nn.Module, feature_dim: int, **hyperparameters: Any
) -> ContrastiveMethod:
    """Instantiate the method registered as ``name`` around ``encoder``."""
    if name not in METHODS:
        raise ValueError(f"unknown method {name!r}; available: {', '.join(sorted(METHODS))}")
    return METHODS[name](encoder, feature_dim, **hyperparameters)


__all__ = ["BYOL", "METHODS", "ContrastiveMethod", "MoCo", "SimCLR", "build_method", "register_method"]
