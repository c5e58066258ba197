"""Checkpoints: written atomically, found by step, restored exactly.

A checkpoint is a folder ``checkpoints/checkpoint-<step>`` holding everything a run needs to continue as if it
had never stopped:

- ``model.safetensors``: the method's full state — encoder, heads, EMA target, momentum queue — gathered
  from every process (``torch.distributed.checkpoint.state_dict``, so DDP and FSDP models save the same way);
- ``optimizer.pt``: the optimizer state keyed by parameter name (read back with ``weights_only=True``);
- ``scheduler.json``: the learning-rate scheduler's state;
- ``process-<rank>.json``: each process's random-number-generator states (Python, NumPy, torch, CUDA) and
  its data position (epoch, batches consumed);
- ``recipe.yaml``: the resolved recipe;
- ``trainer_state.json``: step, samples seen, number of processes, gradient-scaler state — written last.

Every process writes into ``.checkpoint-<step>.partial``; once all are done, the main process renames it
with ``os.replace``. A crash at any moment therefore leaves either the complete new checkpoint or none, and
the previous checkpoints untouched; ``find_latest_checkpoint`` only returns complete ones.

Example:
    >>> from mmcl.checkpoint import find_latest_checkpoint, load_checkpoint
    >>> latest = find_latest_checkpoint(Path("runs/tiny/checkpoints"))  # doctest: +SKIP
    >>> state = load_checkpoint(latest, accelerator=accelerator, model=model, optimizer=optimizer,
    ...                         scheduler=scheduler)  # doctest: +SKIP
    >>> state.step, state.data_position  # doctest: +SKIP
    (200, DataPosition(epoch=3, batches_consumed=12))
"""

from __future__ import annotations

import json
import random
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from accelerate import Accelerator
from safetensors.torch import load_file, save_file
from torch.distributed.checkpoint.state_dict import (
    StateDictOptions,
    get_model_state_dict,
    get_optimizer_state_dict,
    set_model_state_dict,
    set_optimizer_state_dict,
)

from mmcl.atomic_folder import commit_folder, partial_folder
from mmcl.training_data import DataPosition

_CHECKPOINT_NAME = re.compile(r"^checkpoint-(\d+)$")
_COMPLETION_FILE = "trainer_state.json"


@dataclass
class ResumedState:
    """What ``load_checkpoint`` hands back to the training loop besides the restored objects."""

    step: int
    samples_seen: int
    data_position: DataPosition


class CheckpointMismatchError(RuntimeError):
    """A checkpoint cannot continue this run (e.g. it was written by a different number of processes)."""


def checkpoint_folder(root: Path, step: int) -> Path:
    """Where the checkpoint of ``step`` lives under ``root``."""
    return root / f"checkpoint-{step:08d}"


def list_checkpoints(root: Path) -> list[Path]:
    """Complete checkpoints under ``root``, oldest first (partial folders of interrupted saves are ignored)."""
    found = []
    if root.is_dir():
        for folder in root.iterdir():
            match = _CHECKPOINT_NAME.match(folder.name)
            if match and (folder / _COMPLETION_FILE).is_file():
                found.append((int(match.group(1)), folder))
    return [folder for _, folder in sorted(found)]


def find_latest_checkpoint(root: Path) -> Path | None:
    """The complete checkpoint with the highest step under ``root``, or None."""
    checkpoints = list_checkpoints(root)
    return checkpoints[-1] if checkpoints else None


def save_checkpoint(
    root: Path,
    step: int,
    *,
    accelerator: Accelerator,
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
    data_position: DataPosition,
    samples_seen: int,
    recipe_yaml: str,
    keep_last: int,
) -> Path:
    """Write the checkpoint of ``step`` atomically and keep only the ``keep_last`` newest. Call it on every
    process at the same step (gathering sharded states is collective).

    Returns:
        The checkpoint folder.
    """
    options = StateDictOptions(full_state_dict=True, cpu_offload=True)
    model_state = get_model_state_dict(model, options=options)
    optimizer_state = get_optimizer_state_dict(model, _unwrap(optimizer), options=options)
    final = checkpoint_folder(root, step)
    partial = partial_folder(final)
    if accelerator.is_main_process:
        root.mkdir(parents=True, exist_ok=True)
        for stale in root.glob(".checkpoint-*.partial"):  # left by an interrupted save
            shutil.rmtree(stale)
        partial.mkdir()
    accelerator.wait_for_everyone()
    process_state = {"rng": _rng_state(), "data_position": vars(data_position)}
    _write_json(partial / f"process-{accelerator.process_index:05d}.json", process_state)
    if accelerator.is_main_process:
        save_file(_unshared(model_state), partial / "model.safetensors")
        torch.save(optimizer_state, partial / "optimizer.pt")
        _write_json(partial / "scheduler.json", scheduler.state_dict())
        (partial / "recipe.yaml").write_text(recipe_yaml, encoding="utf-8")
    accelerator.wait_for_everyone()
    if accelerator.is_main_process:
        scaler = accelerator.scaler.state_dict() if accelerator.scaler is not None else None
        trainer_state = {
            "step": step,
            "samples_seen": samples_seen,
            "world_size": accelerator.num_processes,
            "grad_scaler": scaler,
        }
        _write_json(partial / _COMPLETION_FILE, trainer_state)
        commit_folder(partial, final)
        for old in list_checkpoints(root)[:-keep_last]:
            shutil.rmtree(old)
    accelerator.wait_for_everyone()
    return final


def load_checkpoint(
    folder: Path,
    *,
    accelerator: Accelerator,
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
) -> ResumedState:
    """Restore model, optimizer, scheduler, gradient scaler and this process's random states from ``folder``.

    Call it last before the training loop: it sets the global random states, so nothing may draw random
    numbers between this call and the first step.

    Raises:
        CheckpointMismatchError: when the checkpoint was written by a different number of processes.
    """
    trainer_state = json.loads((folder / _COMPLETION_FILE).read_text())
    if trainer_state["world_size"] != accelerator.num_processes:
        raise CheckpointMismatchError(
            f"{folder} was written by {trainer_state['world_size']} processes and this run has "
            f"{accelerator.num_processes}; its data order and random states are per process. Resume with "
            f"{trainer_state['world_size']} processes, or start a new run in another output directory."
        )
    options = StateDictOptions(full_state_dict=True)
    set_model_state_dict(model, load_file(folder / "model.safetensors"), options=options)
    optimizer_state = torch.load(folder / "optimizer.pt", map_location="cpu", weights_only=True)
    set_optimizer_state_dict(model, _unwrap(optimizer), optimizer_state, options=options)
    scheduler.load_state_dict(json.loads((folder / "scheduler.json").read_text()))
    if accelerator.scaler is not None and trainer_state["grad_scaler"] is not None:
        accelerator.scaler.load_state_dict(trainer_state["grad_scaler"])
    process_state = json.loads((folder / f"process-{accelerator.process_index:05d}.json").read_text())
    _set_rng_state(process_state["rng"])
    return ResumedState(
        step=trainer_state["step"],
        samples_seen=trainer_state["samples_seen"],
        data_position=DataPosition(**process_state["data_position"]),
    )


def _unwrap(optimizer: torch.optim.Optimizer) -> torch.optim.Optimizer:
    # Accelerate's AcceleratedOptimizer wraps the torch optimizer the state-dict helpers expect.
    return getattr(optimizer, "optimizer", optimizer)


def _unshared(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """safetensors refuses tensors sharing memory (tied weights): give repeated storage its own copy."""
    seen, result = set(), {}
    for key, tensor in state.items():
        pointer = tensor.untyped_storage().data_ptr()
        result[key] = tensor.detach().contiguous() if pointer not in seen else tensor.detach().clone()
        seen.add(pointer)
    return result


def _rng_state() -> dict[str, Any]:
    version, internal, gauss = random.getstate()
    name, keys, position, has_gauss, cached_gaussian = np.random.get_state()
    state = {
        "python": [version, list(internal), gauss],
        "numpy": [name, keys.tolist(), position, has_gauss, cached_gaussian],
        "torch": torch.get_rng_state().tolist(),
    }
    if torch.cuda.is_available():
        state["cuda"] = [s.tolist() for s in torch.cuda.get_rng_state_all()]
    return state


def _set_rng_state(state: dict[str, Any]) -> None:
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    name, keys, position, has_gauss, cached_gaussian = state["numpy"]
    np.random.set_state((name, np.array(keys, dtype=np.uint32), position, has_gauss, cached_gaussian))
    torch.set_rng_state(torch.tensor(state["torch"], dtype=torch.uint8))
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all([torch.tensor(s, dtype=torch.uint8) for s in state["cuda"]])


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data), encoding="utf-8")
