"""What channels-last memory and ``torch.compile`` give mmcl's SimCLR training step on images.

Run (from the repository root; data in ``../shared/data/image/cifar10-jpeg``):

    nice -n 10 .venv/bin/python benchmarks/image_training_step.py [--steps 8] [--threads 1]
        [--variants eager channels_last compile channels_last+compile]

One step is what mmcl's engine runs per optimizer step of ``recipes/image-simclr.yaml`` (its CPU
configuration: the 1.23 M-parameter ResNet with ``cifar_stem``, batch 256, SimCLR, SGD): two kornia views of a
uint8 batch made on the device (``adapter.make_views``), the method's loss, backward, ``optimizer.step()``.
Variants of the same step:

- ``eager``: the recipe as it is;
- ``channels_last``: the adapter's ``channels_last: true`` (backbone weights and inputs in NHWC);
- ``compile``: the encoder wrapped in ``torch.compile`` (inductor; not a recipe option yet);
- ``channels_last+compile``: both.

The variants are built from the same seed and timed round-robin — one step of each in turn, ``--steps``
rounds after ``--warmup`` rounds (which include compilation) — so machine load hits all of them alike.
Prints the median wall-clock and CPU seconds per step, images per second and the speed-up over the first variant
(``eager`` by default); on
a busy machine the CPU times are the steadier figure. On a CPU there is no host-device copy to save: views are
made where the uint8 batch is, which on a GPU means one uint8 transfer per batch instead of two float views.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from accelerate.utils import set_seed

from mmcl.methods import ContrastiveMethod, build_method
from mmcl.optim import build_optimizer
from mmcl.recipe import load_recipe

sys.path.insert(0, str(Path(__file__).resolve().parent))
from image_cifar10_data import balanced_subset, load_split  # a sibling benchmark module, not a package

REPO = Path(__file__).resolve().parents[1]
VARIANTS = ("eager", "channels_last", "compile", "channels_last+compile")


class TrainingStep:
    """One variant's adapter, method and optimizer, built as the engine builds them from the recipe."""

    def __init__(self, recipe_file: str, data: Path, variant: str, seed: int) -> None:
        overrides = [f"adapter.data={{train: {data}}}", "adapter.evaluation=none"]
        overrides.append(f"adapter.channels_last={'channels_last' in variant}")
        recipe = load_recipe(recipe_file, overrides)
        self.adapter = recipe.adapter.build()
        set_seed(seed)
        encoder, feature_dim = self.adapter.build_encoder()
        self.method: ContrastiveMethod = build_method(
            "simclr", encoder, feature_dim, **recipe.method.hyperparameters
        )
        if "compile" in variant:
            self.method.encoder = torch.compile(self.method.encoder)
        self.optimizer = build_optimizer(self.method, recipe.optimizer)
        self.batch_size = recipe.train.batch_size
        self.method.train()

    def __call__(self, batch: torch.Tensor) -> None:
        view_a, view_b = self.adapter.make_views(batch)
        loss, _ = self.method(view_a, view_b)
        loss.backward()
        self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--steps", type=int, default=8, help="timed rounds (one step of each variant per round)"
    )
    parser.add_argument(
        "--warmup", type=int, default=2, help="untimed rounds first (compilation happens here)"
    )
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    parser.add_argument("--variants", nargs="+", choices=VARIANTS, default=list(VARIANTS))
    parser.add_argument("--recipe", default=str(REPO / "recipes" / "image-simclr.yaml"))
    parser.add_argument("--seed", type=int, default=0)
    arguments = parser.parse_args()
    torch.set_num_threads(arguments.threads)

    images, labels = load_split("train")
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder) / "train.npz"
        chosen = balanced_subset(labels, 2560, arguments.seed)
        np.savez(data, images=images[chosen], labels=labels[chosen])
        steps = {
            variant: TrainingStep(arguments.recipe, data, variant, arguments.seed)
            for variant in arguments.variants
        }
    batch_size = next(iter(steps.values())).batch_size
    pixels = torch.from_numpy(images[chosen]).permute(0, 3, 1, 2).contiguous().split(batch_size)
    wall: dict[str, list[float]] = {variant: [] for variant in steps}
    cpu: dict[str, list[float]] = {variant: [] for variant in steps}
    for round_index in range(arguments.warmup + arguments.steps):
        batch = pixels[round_index % len(pixels)]
        for variant, step in steps.items():
            wall_start, cpu_start = time.perf_counter(), time.process_time()
            step(batch)
            if round_index >= arguments.warmup:
                wall[variant].append(time.perf_counter() - wall_start)
                cpu[variant].append(time.process_time() - cpu_start)

    print(
        f"\nmmcl SimCLR step, recipes/image-simclr.yaml CPU configuration (1.23 M-parameter ResNet, cifar_stem, "
        f"batch {batch_size}), {arguments.threads} torch thread(s), medians of {arguments.steps} rounds after "
        f"{arguments.warmup} warm-up rounds, torch {torch.__version__}\n"
    )
    print("| variant | s / step | CPU s / step | images/s | speed-up (wall) | speed-up (CPU) |")
    print("|---|---|---|---|---|---|")
    reference = next(iter(steps))
    for variant in steps:
        step_wall, step_cpu = statistics.median(wall[variant]), statistics.median(cpu[variant])
        print(
            f"| {variant} | {step_wall:.2f} | {step_cpu:.2f} | {batch_size / step_wall:.1f} | "
            f"{statistics.median(wall[reference]) / step_wall:.2f}x | {statistics.median(cpu[reference]) / step_cpu:.2f}x |"
        )


if __name__ == "__main__":
    main()
