"""Checks and conversions for the inputs of every evaluation protocol: frozen embeddings and their labels.

Embeddings arrive as ``(N, D)`` torch tensors or numpy arrays; labels as 1-D integer tensors, arrays or
lists. Each protocol converts them here, so a wrong shape, a length mismatch, a NaN or a single class fails
before any fitting starts, with a message naming the argument.

Example:
    >>> import numpy as np
    >>> from mmcl.evaluation.inputs import embeddings_as_numpy, labels_as_numpy
    >>> x = embeddings_as_numpy("train_embeddings", np.ones((4, 3)))
    >>> labels_as_numpy("train_labels", [0, 1, 0, 1], rows=4).tolist()
    [0, 1, 0, 1]
"""

from __future__ import annotations

import numpy as np
import torch

EmbeddingsLike = torch.Tensor | np.ndarray
LabelsLike = torch.Tensor | np.ndarray | list[int] | tuple[int, ...]


def embeddings_as_tensor(
    name: str, embeddings: object, *, device: torch.device | str | None = None
) -> torch.Tensor:
    """A finite, non-empty ``(N, D)`` float32 tensor on ``device`` (default: where ``embeddings`` already is).

    Raises:
        ValueError: ``embeddings`` is not a tensor or array of real numbers, is not 2-D, is empty or holds
            NaN / inf.
    """
    return checked_embeddings(name, embeddings).to(device=device, dtype=torch.float32)


def embeddings_as_numpy(name: str, embeddings: object) -> np.ndarray:
    """A finite, non-empty ``(N, D)`` float64 numpy array (copied to the CPU when it is a device tensor)."""
    return checked_embeddings(name, embeddings).cpu().numpy().astype(np.float64, copy=False)


def checked_embeddings(name: str, embeddings: object) -> torch.Tensor:
    """``embeddings`` as a tensor (no copy, dtype and device unchanged) once it is known to be a finite,
    non-empty ``(N, D)`` tensor or array of real numbers."""
    if isinstance(embeddings, np.ndarray):
        if embeddings.dtype.kind not in "iuf":
            raise ValueError(f"{name} must hold real numbers, got dtype {embeddings.dtype}")
        embeddings = torch.from_numpy(embeddings)
    if not isinstance(embeddings, torch.Tensor):
        raise ValueError(f"{name} must be a torch.Tensor or numpy array, got {type(embeddings).__name__}")
    if embeddings.is_complex() or embeddings.dtype == torch.bool:
        raise ValueError(f"{name} must hold real numbers, got {embeddings.dtype}")
    if embeddings.ndim != 2:
        raise ValueError(f"{name} must be 2-D (N, D), got shape {tuple(embeddings.shape)}")
    if embeddings.shape[0] == 0 or embeddings.shape[1] == 0:
        raise ValueError(f"{name} is empty (shape {tuple(embeddings.shape)})")
    embeddings = embeddings.detach()
    if embeddings.is_floating_point() and not bool(torch.isfinite(embeddings).all()):
        bad = int((~torch.isfinite(embeddings)).sum())
        raise ValueError(f"{name} holds {bad} NaN or infinite values (shape {tuple(embeddings.shape)})")
    return embeddings


def labels_as_numpy(name: str, labels: object, *, rows: int | None) -> np.ndarray:
    """1-D integer class ids, one per embedding row (``rows=None``: any non-zero length).

    Raises:
        ValueError: ``labels`` is not 1-D, does not have ``rows`` entries, or does not hold integers.
    """
    if isinstance(labels, torch.Tensor):
        labels = labels.detach().cpu().numpy()
    array = np.asarray(labels)
    if array.ndim != 1:
        raise ValueError(f"{name} must be 1-D (one class id per row), got shape {array.shape}")
    if rows is None and array.shape[0] == 0:
        raise ValueError(f"{name} is empty")
    if rows is not None and array.shape[0] != rows:
        raise ValueError(f"{name} has {array.shape[0]} entries but the embeddings have {rows} rows")
    if not np.issubdtype(array.dtype, np.integer):
        raise ValueError(f"{name} must hold integer class ids, got dtype {array.dtype}")
    return array.astype(np.int64)


def check_same_width(name_a: str, a: EmbeddingsLike, name_b: str, b: EmbeddingsLike) -> None:
    """Two embedding sets compared against each other need the same dimension ``D``."""
    if a.shape[1] != b.shape[1]:
        raise ValueError(
            f"{name_a} and {name_b} must have the same embedding dimension, "
            f"got {a.shape[1]} and {b.shape[1]} (shapes {tuple(a.shape)} and {tuple(b.shape)})"
        )


def check_several_classes(name: str, labels: np.ndarray) -> None:
    """A classifier needs at least two classes to tell apart."""
    classes = np.unique(labels)
    if classes.size < 2:
        raise ValueError(
            f"{name} hold a single class ({classes[0]}); a classifier needs at least two classes"
        )
