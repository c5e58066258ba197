"""What the training engine costs per step, against a hand-written minimal Accelerate loop.

Both run the same method (MoCo v2: EMA key encoder, momentum queue), encoder (an MLP), optimizer, schedule,
batch and data (scikit-learn's digits through the ``vectors`` test adapter), in one process, interleaved
A-B / B-A over several rounds so machine noise hits both alike. Each run trains ``2 * steps`` optimizer steps
and times the second half: the engine from the timestamps of its ``metrics.jsonl`` rows at ``steps`` and
``2 * steps`` (so its logging is inside the timed span), the hand loop with ``time.perf_counter``.
Checkpoints and evaluation are off (they are periodic, not per-step costs).

Run from a checkout (CPU, or the GPU Accelerate finds):

    python benchmarks/engine_overhead.py
    python benchmarks/engine_overhead.py --batch-size 512 --hidden-dim 2048 --steps 200 --rounds 5
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import torch
import yaml
from accelerate import Accelerator
from accelerate.state import AcceleratorState
from accelerate.utils import set_seed

from mmcl.methods import build_method
from mmcl.optim import ScheduleOptions, SGDOptions, build_optimizer, build_scheduler
from mmcl.recipe import load_recipe
from mmcl.train import train

REPO = Path(__file__).resolve().parents[1]
ADAPTER_FILE = REPO / "tests" / "fixtures" / "vectors_adapter.py"


def _recipe(arguments: argparse.Namespace) -> dict:
    return {
        "imports": [str(ADAPTER_FILE)],
        "adapter": {"name": "vectors", "hidden_dim": arguments.hidden_dim, "output_dim": 256},
        "method": {"name": "moco", "version": "v2", "projection_dim": 128, "hidden_dim": arguments.hidden_dim, "queue_size": 4096},
        "train": {
            "batch_size": arguments.batch_size,
            "max_steps": 2 * arguments.steps,
            "log_every_n_steps": arguments.steps,
            "num_workers": arguments.num_workers,
            "progress_bar": True,
        },
        "optimizer": {"name": "sgd", "lr": 0.05},
        "schedule": {"name": "cosine", "warmup_steps": 10},
        "checkpoint": {"every_n_steps": None},
        "evaluation": {"at_end": False},
        "output": {"trackers": []},
    }  # fmt: skip


def engine_steps_per_second(recipe_file: Path, run_dir: Path, steps: int) -> float:
    """``mmcl train`` in this process; steps/s between its metrics rows at ``steps`` and ``2 * steps``."""
    train(load_recipe(recipe_file, output_dir=run_dir))
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    times = {row["step"]: row["time"] for row in rows}
    return steps / (times[2 * steps] - times[steps])


def hand_loop_steps_per_second(recipe_file: Path, steps: int) -> float:
    """The minimal Accelerate loop a user would write for the same recipe."""
    recipe = load_recipe(recipe_file)
    accelerator = Accelerator(cpu=not torch.accelerator.is_available())
    adapter = recipe.adapter.build()
    set_seed(0)
    encoder, feature_dim = adapter.build_encoder()
    method = build_method("moco", encoder, feature_dim, **recipe.method.hyperparameters)
    method.set_total_steps(2 * steps)
    optimizer = build_optimizer(method, SGDOptions(lr=0.05))
    scheduler = build_scheduler(optimizer, ScheduleOptions(name="cosine", warmup_steps=10), 2 * steps)
    loader = torch.utils.data.DataLoader(
        adapter.load_dataset("train"),
        batch_size=recipe.train.batch_size,
        shuffle=True,
        drop_last=True,
        collate_fn=adapter.collate,
        num_workers=recipe.train.num_workers,
        persistent_workers=recipe.train.num_workers > 0,
    )
    model, optimizer, loader = accelerator.prepare(method, optimizer, loader)
    step, start = 0, 0.0
    while step < 2 * steps:
        for batch in loader:
            view_a, view_b = adapter.make_views(batch)
            loss, _ = model(view_a, view_b)
            accelerator.backward(loss)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            method.on_step_end(step)
            step += 1
            if step == steps:
                loss.item()  # wait for the device
                start = time.perf_counter()
            if step == 2 * steps:
                loss.item()
                break
    return steps / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--hidden-dim", type=int, default=1024)
    parser.add_argument(
        "--steps", type=int, default=100, help="timed steps per run (after as many warmup steps)"
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--num-workers", type=int, default=2, help="DataLoader workers (both loops)")
    arguments = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        recipe_file = Path(folder) / "overhead.yaml"
        recipe_file.write_text(yaml.safe_dump(_recipe(arguments)))
        engine, hand = [], []
        for round_index in range(arguments.rounds):
            order = ["engine", "hand"] if round_index % 2 == 0 else ["hand", "engine"]
            for which in order:
                if which == "engine":
                    engine.append(
                        engine_steps_per_second(
                            recipe_file, Path(folder) / f"run{round_index}", arguments.steps
                        )
                    )
                else:
                    hand.append(hand_loop_steps_per_second(recipe_file, arguments.steps))
                AcceleratorState._reset_state(reset_partial_state=True)

    device = (
        "cuda: " + torch.cuda.get_device_name()
        if torch.cuda.is_available()
        else f"cpu ({torch.get_num_threads()} threads)"
    )
    engine_median, hand_median = statistics.median(engine), statistics.median(hand)
    setup = (
        f"MoCo v2, MLP 64-{arguments.hidden_dim}-256, batch {arguments.batch_size}, {arguments.num_workers} data "
        f"workers, {arguments.steps} timed steps x {arguments.rounds} rounds (interleaved)"
    )
    print(f"\ndevice: {device}; {setup}\n")
    print("| loop | steps/s per round | median steps/s |")
    print("|---|---|---|")
    print(f"| hand-written Accelerate loop | {', '.join(f'{v:.1f}' for v in hand)} | {hand_median:.1f} |")
    print(f"| `mmcl train` | {', '.join(f'{v:.1f}' for v in engine)} | {engine_median:.1f} |")
    overhead = hand_median / engine_median - 1
    print(f"\nengine time per step / hand loop time per step = {hand_median / engine_median:.3f} "
          f"(overhead {overhead:+.1%}; target <= +5%)")  # fmt: skip


if __name__ == "__main__":
    main()
