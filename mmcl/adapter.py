"""The adapter contract: the only code that knows a modality, and the registry recipes name adapters by.

An adapter turns a recipe's ``adapter:`` section into everything the modality-agnostic engine needs:

- ``build_encoder()``: the encoder (from a Hub id, a local folder or a config) and its feature dimension;
- ``load_dataset(split)``: the data as a ``datasets.Dataset`` or ``datasets.IterableDataset``;
- ``collate(examples)``: a batch (a tensor or a dict of tensors) on the CPU, deterministic — it runs in
  DataLoader workers, so it must not draw random numbers;
- ``batch_sampler(dataset, batch_size=, seed=)`` (optional): which examples train together — each epoch's
  global batches of indices (e.g. no text twice in a batch, similar lengths together); by default a seeded
  shuffle;
- ``make_views(batch)``: two augmented views of a batch that is already on the training device, batched —
  augmentations run there, not per sample in the workers;
- ``embed(encoder, batch)`` and ``evaluate(encoder, device, plots_dir)``: embeddings for evaluation and the
  domain's evaluation suite (named by ``evaluation_suite``), best as an ``EvaluationReport`` that puts every
  metric beside its baseline — the engine then prints the table, writes ``metrics.json`` and the model card;
- ``save_encoder(encoder, folder)`` / ``load_encoder(folder)``: the published model folder, in the format
  named by ``save_format``, and back (``mmcl evaluate``).

Every option the adapter reads lives in its ``Options`` dataclass: the recipe loader validates the
``adapter:`` section against it (unknown keys, missing keys, wrong types, ``ExistingPath`` fields) before
anything is built. Two-tower recipes (ECG ↔ report, image ↔ caption) fit the same contract: an adapter's
"views" may be the two modalities of a pair, and its encoder a module holding both towers.

A third party registers its own adapter in a few lines and names it in a recipe — ``imports:`` lists the
module or file that registers it:

Example:
    >>> from dataclasses import dataclass
    >>> import torch
    >>> from mmcl.adapter import Adapter, register_adapter
    >>> @register_adapter("noisy-vectors-doc")
    ... class NoisyVectors(Adapter):
    ...     @dataclass
    ...     class Options:
    ...         dim: int = 16
    ...     evaluation_suite = "none"
    ...     save_format = "torch-state-dict"
    ...     def build_encoder(self):
    ...         return torch.nn.Linear(self.options.dim, 8), 8
    ...     def load_dataset(self, split):
    ...         import datasets
    ...         return datasets.Dataset.from_dict({"x": torch.randn(64, self.options.dim).tolist()})
    ...     def collate(self, examples):
    ...         return torch.tensor([example["x"] for example in examples])
    ...     def make_views(self, batch):
    ...         return batch + 0.1 * torch.randn_like(batch), batch + 0.1 * torch.randn_like(batch)
    ...     def save_encoder(self, encoder, folder):
    ...         torch.save(encoder.state_dict(), folder / "encoder.pt")
    >>> adapter = get_adapter("noisy-vectors-doc")(NoisyVectors.Options(dim=16))
"""

from __future__ import annotations

import difflib
import importlib
import sys
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, ClassVar, TypeAlias, TypeVar

import torch
from torch import nn
from torch.utils.data import Sampler

from mmcl.evaluation.report import EvaluationReport

Batch: TypeAlias = torch.Tensor | Mapping[str, torch.Tensor]
"""What an adapter's ``collate`` returns and its encoder consumes: a tensor or a mapping of tensors."""

BUILTIN_ADAPTERS: dict[str, str] = {
    "image": "mmcl.adapters.image",
    "text": "mmcl.adapters.text",
    "timeseries": "mmcl.adapters.timeseries",
}
"""Adapters shipped with mmcl, by name, and the module that registers each. Imported only when a recipe
names them, so the core never imports a domain."""

_REGISTRY: dict[str, type[Adapter]] = {}

AdapterClass = TypeVar("AdapterClass", bound="type[Adapter]")


class Adapter(ABC):
    """Base class of every adapter; subclasses are registered with ``register_adapter``.

    Class attributes:
        Options: dataclass of the adapter's recipe keys (everything under ``adapter:`` but ``name``).
        modality: ``"image"``, ``"text"`` or ``"timeseries"`` for the model card; None writes no card.
        evaluation_suite: name of the evaluation ``evaluate`` runs (recorded with the model), e.g. ``"knn"``.
        save_format: name of the folder layout ``save_encoder`` writes, e.g. ``"sentence-transformers"``.

    Args:
        options: an instance of ``Options``, validated by the recipe loader. Subclasses that check more
            (a data path's contents, a model id's form) raise ``mmcl.recipe.RecipeError`` in ``__init__``,
            which the engine calls before any model is built.
    """

    Options: ClassVar[type]
    evaluation_suite: ClassVar[str]
    save_format: ClassVar[str]
    modality: ClassVar[str | None] = None

    def __init__(self, options: Any) -> None:
        self.options = options

    @abstractmethod
    def build_encoder(self) -> tuple[nn.Module, int]:
        """The encoder (mapping a ``Batch`` to an ``(N, D)`` tensor) and its feature dimension ``D``."""

    @abstractmethod
    def load_dataset(self, split: str) -> Any:
        """The ``split`` ("train", or what ``evaluate`` uses) as a ``datasets.Dataset`` / ``IterableDataset``."""

    @abstractmethod
    def collate(self, examples: list[dict[str, Any]]) -> Batch:
        """A CPU batch from dataset examples. Deterministic: it may run in DataLoader worker processes."""

    @abstractmethod
    def make_views(self, batch: Batch) -> tuple[Batch, Batch]:
        """Two augmented views of ``batch``, which is already on the training device (batched augmentation)."""

    @abstractmethod
    def save_encoder(self, encoder: nn.Module, folder: Path) -> None:
        """Write ``encoder`` into the existing, empty ``folder`` in the adapter's ``save_format``."""

    def load_encoder(self, folder: Path) -> nn.Module:
        """The encoder ``save_encoder`` wrote into ``folder``, mapping a ``Batch`` to ``(N, D)`` like
        ``build_encoder``'s (used by ``mmcl evaluate``)."""
        raise NotImplementedError(
            f"the {type(self).__name__} adapter cannot load the encoders it saves; implement load_encoder"
        )

    def batch_sampler(self, dataset: Any, *, batch_size: int, seed: int) -> Sampler[list[int]] | None:
        """The training batches of a map-style ``dataset``, or None (the default) for a seeded shuffle.

        A sampler with ``set_epoch(epoch)`` whose iteration yields that epoch's full batches of ``batch_size``
        example indices — global batches, the same on every process (``batch_size`` is the per-process batch
        times the number of processes; each process trains on its slice), depending only on ``seed`` and the
        epoch so a resumed run sees the same batches.
        """
        return None

    def embed(self, encoder: nn.Module, batch: Batch) -> torch.Tensor:
        """Embeddings of an un-augmented batch for evaluation; ``encoder(batch)`` unless overridden."""
        return encoder(batch)

    def evaluate(
        self, encoder: nn.Module, device: torch.device, plots_dir: Path | None = None
    ) -> EvaluationReport | dict[str, float]:
        """Run ``evaluation_suite`` on ``encoder`` (in eval mode, without gradient) and return its metrics.

        Return an ``EvaluationReport`` (each metric beside its baseline: raw features, or the encoder at
        random init) so the engine can print the table, write ``metrics.json`` and the model card; a plain
        dict is only logged. With ``plots_dir`` (the final evaluation) the adapter may write PNG plots
        there (label-efficiency curve, embedding map); they are copied into the model folder. Called on
        every process (so sharded models can run forward passes); the main process's result is used.
        Nothing by default.
        """
        return {}

    def dataset_names(self) -> list[str]:
        """Names of the training data sets, for the model card's metadata. None known by default."""
        return []

    def evaluation_dataset_name(self) -> str | None:
        """The data ``evaluate`` scores on, for the model card; None (the default): the training data's name."""
        return None


def register_adapter(name: str) -> Callable[[AdapterClass], AdapterClass]:
    """Class decorator making an ``Adapter`` subclass available to recipes as ``adapter: {name: <name>}``.

    Registering the same class again (its module imported twice) replaces it; another class under a taken
    name is an error.

    Example:
        >>> @register_adapter("my-modality")  # doctest: +SKIP
        ... class MyAdapter(Adapter): ...
    """

    def register(cls: AdapterClass) -> AdapterClass:
        if not (isinstance(cls, type) and issubclass(cls, Adapter)):
            raise TypeError(f"register_adapter({name!r}) decorates an Adapter subclass, got {cls!r}")
        existing = _REGISTRY.get(name)
        if existing is not None and not _same_definition(existing, cls):
            raise ValueError(
                f"adapter name {name!r} is taken by {_qualified_name(existing)}; "
                f"register {_qualified_name(cls)} under another name"
            )
        _REGISTRY[name] = cls
        return cls

    return register


def get_adapter(name: str) -> type[Adapter]:
    """The adapter class registered as ``name``, importing a built-in adapter's module on first use.

    Raises:
        KeyError: when no adapter has that name; the message lists the known ones and the closest match.
    """
    if name not in _REGISTRY and name in BUILTIN_ADAPTERS:
        importlib.import_module(BUILTIN_ADAPTERS[name])
    if name not in _REGISTRY:
        known = available_adapters()
        close = difflib.get_close_matches(name, known, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise KeyError(
            f"unknown adapter {name!r}; {hint}known adapters: {', '.join(known)}. A third-party adapter is "
            "registered with @register_adapter and listed under the recipe's `imports:`."
        )
    return _REGISTRY[name]


def available_adapters() -> list[str]:
    """Names of the built-in adapters and of every adapter registered so far, sorted."""
    return sorted(set(BUILTIN_ADAPTERS) | set(_REGISTRY))


def _qualified_name(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _same_definition(a: type, b: type) -> bool:
    """Whether two classes come from the same definition: the same module, or the same source file (one
    file imported under two module names, e.g. by path from a recipe and by its package name)."""
    if _qualified_name(a) == _qualified_name(b):
        return True
    file_a, file_b = (
        getattr(sys.modules.get(a.__module__), "__file__", None),
        getattr(sys.modules.get(b.__module__), "__file__", None),
    )
    return a.__qualname__ == b.__qualname__ and file_a is not None and file_a == file_b
