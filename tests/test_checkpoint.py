"""Checkpoints restore model (buffers included), optimizer, scheduler, random states and data position exactly;
interrupted saves never hide or damage the previous checkpoint."""

import json
import random
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch
from accelerate import Accelerator
from accelerate.state import AcceleratorState

from mmcl.checkpoint import (
    CheckpointMismatchError,
    checkpoint_folder,
    find_latest_checkpoint,
    list_checkpoints,
    load_checkpoint,
    save_checkpoint,
)
from mmcl.optim import ScheduleOptions, build_scheduler
from mmcl.queue import MomentumQueue
from mmcl.training_data import DataPosition
from tests.fixtures.runs import REPO


class TiedModel(torch.nn.Module):
    """Weights, BatchNorm buffers, a momentum queue, and two names for one tensor (tied weights)."""

    def __init__(self) -> None:
        super().__init__()
        self.embed = torch.nn.Linear(4, 4)
        self.norm = torch.nn.BatchNorm1d(4)
        self.unembed = torch.nn.Linear(4, 4)
        self.unembed.weight = self.embed.weight
        self.queue = MomentumQueue(size=6, dim=4)

    def forward(self, x):
        return self.unembed(self.norm(self.embed(x)))


@pytest.fixture
def accelerator():
    yield Accelerator(cpu=True)
    AcceleratorState._reset_state(reset_partial_state=True)


def _trained(accelerator, steps):
    torch.manual_seed(0)
    model = TiedModel()
    optimizer = torch.optim.AdamW(model.parameters(), lr=0.1)
    scheduler = build_scheduler(optimizer, ScheduleOptions(warmup_steps=2), total_steps=10)
    model, optimizer = accelerator.prepare(model, optimizer)
    for _ in range(steps):
        _step(model, optimizer, scheduler)
    return model, optimizer, scheduler


def _step(model, optimizer, scheduler, inputs=None):
    output = model(torch.randn(8, 4) if inputs is None else inputs)
    output.square().mean().backward()
    optimizer.step()
    scheduler.step()
    optimizer.zero_grad()
    model.queue.enqueue(output.detach())


def _save(root, step, accelerator, model, optimizer, scheduler, keep_last=3):
    return save_checkpoint(
        root, step, accelerator=accelerator, model=model, optimizer=optimizer, scheduler=scheduler,
        data_position=DataPosition(epoch=1, batches_consumed=step), samples_seen=8 * step,
        recipe_yaml="name: test\n", keep_last=keep_last,
    )  # fmt: skip


def _snapshot(model, optimizer, scheduler):
    state = {f"model.{k}": v.clone() for k, v in model.state_dict().items()}
    for i, values in enumerate(optimizer.state_dict()["state"].values()):
        state |= {f"optimizer.{i}.{k}": torch.as_tensor(v).clone() for k, v in values.items()}
    return state | {"lr": torch.tensor(scheduler.get_last_lr()), "epoch": torch.tensor(scheduler.last_epoch)}


def _draws():
    return (random.random(), float(np.random.rand()), torch.rand(3))


def test_a_checkpoint_restores_everything_exactly(tmp_path, accelerator):
    model, optimizer, scheduler = _trained(accelerator, steps=3)
    folder = _save(tmp_path, 3, accelerator, model, optimizer, scheduler)
    saved, draws_after_save = _snapshot(model, optimizer, scheduler), _draws()
    assert folder == checkpoint_folder(tmp_path, 3) and int(model.queue.filled) == 6

    other_model, other_optimizer, other_scheduler = _trained(accelerator, steps=5)
    resumed = load_checkpoint(
        folder,
        accelerator=accelerator,
        model=other_model,
        optimizer=other_optimizer,
        scheduler=other_scheduler,
    )
    restored, draws_after_load = _snapshot(other_model, other_optimizer, other_scheduler), _draws()

    assert (resumed.step, resumed.samples_seen, resumed.data_position) == (3, 24, DataPosition(1, 3))
    assert saved.keys() == restored.keys()
    for key in saved:
        assert torch.equal(saved[key], restored[key]), key
    assert other_model.unembed.weight is other_model.embed.weight  # still tied after loading
    assert draws_after_save[:2] == draws_after_load[:2] and torch.equal(
        draws_after_save[2], draws_after_load[2]
    )
    inputs = torch.linspace(-1, 1, 32).view(8, 4)
    _step(model, optimizer, scheduler, inputs)  # and training goes on identically
    _step(other_model, other_optimizer, other_scheduler, inputs)
    assert torch.equal(model.embed.weight, other_model.embed.weight)


def test_only_complete_checkpoints_are_found_and_old_ones_are_pruned(tmp_path, accelerator):
    model, optimizer, scheduler = _trained(accelerator, steps=1)
    for step in (5, 10, 20, 100):
        _save(tmp_path, step, accelerator, model, optimizer, scheduler, keep_last=2)
    assert [p.name for p in list_checkpoints(tmp_path)] == ["checkpoint-00000020", "checkpoint-00000100"]
    (tmp_path / ".checkpoint-00000200.partial").mkdir()  # an interrupted save
    (tmp_path / "checkpoint-00000300").mkdir()  # no completion file
    assert find_latest_checkpoint(tmp_path) == checkpoint_folder(tmp_path, 100)
    assert find_latest_checkpoint(tmp_path / "absent") is None


def test_a_checkpoint_from_another_number_of_processes_is_refused(tmp_path, accelerator):
    model, optimizer, scheduler = _trained(accelerator, steps=1)
    folder = _save(tmp_path, 1, accelerator, model, optimizer, scheduler)
    state = json.loads((folder / "trainer_state.json").read_text())
    (folder / "trainer_state.json").write_text(json.dumps(state | {"world_size": 4}))
    with pytest.raises(CheckpointMismatchError, match="written by 4 processes and this run has 1"):
        load_checkpoint(
            folder, accelerator=accelerator, model=model, optimizer=optimizer, scheduler=scheduler
        )


KILLED_WHILE_SAVING = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    import torch
    from accelerate import Accelerator
    import mmcl.checkpoint
    from tests.test_checkpoint import _save, _trained

    root = Path(sys.argv[1])
    accelerator = Accelerator(cpu=True)
    model, optimizer, scheduler = _trained(accelerator, steps=2)
    _save(root, 2, accelerator, model, optimizer, scheduler)
    torch.save(model.state_dict(), root / "expected.pt")

    def write_half_then_die(state, path):
        Path(path).write_bytes(b"half an optimizer state")
        os.kill(os.getpid(), signal.SIGKILL)

    mmcl.checkpoint.torch.save = write_half_then_die
    _trained_more = _trained(accelerator, steps=4)
    _save(root, 4, accelerator, *_trained_more)
    """
)


def test_sigkill_while_saving_leaves_the_previous_checkpoint_complete_and_loadable(tmp_path, accelerator):
    killed = subprocess.run(
        [sys.executable, "-c", KILLED_WHILE_SAVING, str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert killed.returncode == -9, killed.stderr[-3000:]
    assert (tmp_path / ".checkpoint-00000004.partial" / "model.safetensors").exists()  # died mid-save
    assert find_latest_checkpoint(tmp_path) == checkpoint_folder(tmp_path, 2)

    model, optimizer, scheduler = _trained(accelerator, steps=0)
    load_checkpoint(
        checkpoint_folder(tmp_path, 2),
        accelerator=accelerator,
        model=model,
        optimizer=optimizer,
        scheduler=scheduler,
    )
    expected = torch.load(tmp_path / "expected.pt", weights_only=True)
    for key, value in model.state_dict().items():
        assert torch.equal(value, expected[key]), key

    _save(tmp_path, 4, accelerator, model, optimizer, scheduler)  # the next save clears the debris
    assert sorted(p.name for p in tmp_path.glob("*checkpoint-*")) == [
        "checkpoint-00000002",
        "checkpoint-00000004",
    ]
