"""Input checks shared by the losses: fail early, name the argument and its shape."""

from __future__ import annotations

import math

import torch


def check_temperature(temperature: float | torch.Tensor) -> None:
    """Raise ``ValueError`` unless the temperature is a finite number above zero."""
    value = temperature.detach().item() if isinstance(temperature, torch.Tensor) else temperature
    if not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise ValueError(f"temperature must be a finite number > 0, got {value!r}")


def check_embeddings(name: str, x: object, *, ndim: int = 2) -> torch.Tensor:
    """``x`` must be a non-empty floating-point tensor with ``ndim`` dimensions."""
    if not isinstance(x, torch.Tensor):
        raise ValueError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if x.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimensions, got shape {tuple(x.shape)}")
    if x.numel() == 0:
        raise ValueError(f"{name} is empty (shape {tuple(x.shape)})")
    if not x.is_floating_point():
        raise ValueError(f"{name} must be a floating-point tensor, got {x.dtype}")
    return x


def check_same_layout(name_a: str, a: torch.Tensor, name_b: str, b: torch.Tensor) -> None:
    """Two tensors that are compared row by row need the same device and dtype."""
    if a.device != b.device:
        raise ValueError(f"{name_a} is on {a.device} but {name_b} is on {b.device}; move them to one device")
    if a.dtype != b.dtype:
        raise ValueError(f"{name_a} is {a.dtype} but {name_b} is {b.dtype}; cast them to one dtype")


def check_same_shape(name_a: str, a: torch.Tensor, name_b: str, b: torch.Tensor) -> None:
    """Row i of ``a`` pairs with row i of ``b``: same shape, device and dtype."""
    if a.shape != b.shape:
        raise ValueError(
            f"{name_a} and {name_b} must have the same shape (row i of each is a pair), "
            f"got {tuple(a.shape)} and {tuple(b.shape)}"
        )
    check_same_layout(name_a, a, name_b, b)


def check_labels(name: str, labels: object, rows: int, device: torch.device) -> torch.Tensor:
    """Integer class labels, one per row."""
    if not isinstance(labels, torch.Tensor) or labels.ndim != 1 or labels.shape[0] != rows:
        shape = tuple(labels.shape) if isinstance(labels, torch.Tensor) else type(labels).__name__
        raise ValueError(f"{name} must be a 1-D tensor with {rows} entries (one per row), got {shape}")
    if labels.is_floating_point() or labels.is_complex():
        raise ValueError(f"{name} must hold integer class ids, got {labels.dtype}")
    if labels.device != device:
        raise ValueError(f"{name} is on {labels.device} but the embeddings are on {device}")
    return labels


def raise_if_not_finite(loss: torch.Tensor, **inputs: torch.Tensor | None) -> torch.Tensor:
    """Return ``loss`` if it is finite; otherwise name the input that holds NaN / inf.

    Checking the scalar loss costs one device sync instead of a pass over every input.
    """
    if bool(torch.isfinite(loss).all()):
        return loss
    for name, x in inputs.items():
        if x is not None and not bool(torch.isfinite(x).all()):
            bad = int((~torch.isfinite(x)).sum())
            raise ValueError(f"{name} holds {bad} NaN or infinite values (shape {tuple(x.shape)})")
    return loss
