"""SimCLR on a CIFAR-10 subset with mmcl and with lightly, side by side: kNN accuracy and throughput on the CPU.

Setting up lightly (once). lightly needs torchvision, which does not import beside mmcl's CPU torch 2.13.0
build, so lightly gets its own virtual environment (pip takes torch and torchvision from local disk here)::

    python3 -m venv /work/lightly-venv
    /work/lightly-venv/bin/pip install torch==2.14.1 torchvision==0.29.1
    /work/lightly-venv/bin/pip install lightly pillow numpy transformers psutil

Run (from the repository root, with mmcl's environment; data in ``../shared/data/image/cifar10-jpeg``)::

    nice -n 10 .venv/bin/python benchmarks/image_vs_lightly.py                  # 10k images, 3 epochs
    nice -n 10 .venv/bin/python benchmarks/image_vs_lightly.py --train-images 1000 --epochs 1   # smoke test

What both libraries get — the same:

- data: a class-balanced subset of ``--train-images`` CIFAR-10 training images (seeded), handed to both as
  the same ``.npz`` file; the kNN bank is a balanced subset of ``--bank-images`` training images (default
  all 50,000, as the raw-pixel floor of the data's README; the training subset is within it), the queries
  the 10,000 test images;
- backbone: the image adapter's CPU configuration — a `transformers` ResNet (basic blocks, widths 32-256, one
  block per stage, 1.23 M parameters, 256 features) with ``cifar_stem`` (a 3x3 stride-1 stem without
  pooling, so the stages see 32 x 32 maps). mmcl's engine builds it (``set_seed(seed)``, then the adapter's
  ``build_encoder``); this script builds it the same way and saves it as a `transformers` folder, which
  lightly's side loads with ``AutoModel.from_pretrained(..., trust_remote_code=True)``: identical initial
  weights;
- SimCLR: projection MLP 256-256-128, NT-Xent with temperature 0.5, SGD (lr ``--lr``, momentum 0.9, weight
  decay 5e-4 on every parameter), cosine decay per step without warmup, ``--epochs`` epochs of batches of
  ``--batch-size`` (the last incomplete batch dropped), ``--seed``;
- views: SimCLR's, without blur at 32 pixels — lightly's ``SimCLRTransform(input_size=32,
  gaussian_blur=0.0)`` per PIL image in 2 DataLoader workers (as lightly's CIFAR-10 benchmark), mmcl's
  ``simclr`` preset with kornia on whole uint8 batches in the training process;
- evaluation: the same code on both sides' features (``mmcl.evaluation.knn_accuracy``: k = 200,
  temperature-weighted with 0.1, as lightly's benchmark kNN), beside the raw pixels (each image minus its own
  mean, as the image adapter's baseline) under the same kNN and under the cosine 1-NN of the data's README
  (42.2 % with the full 50k training set: this script's row reproduces it).

How each trains: mmcl through its engine (``mmcl.train.train`` on ``recipes/image-simclr.yaml`` with the
settings above as overrides, exactly as ``mmcl train image-simclr --set ...`` runs; ``--channels-last``
sets the adapter's ``channels_last``), lightly in a plain PyTorch loop with its transform, projection head
and loss (``image_lightly_side.py``, run by lightly's interpreter ``--lightly-python``).

Timing. The two libraries train at the same time, each pinned to its own CPU core (lightly's DataLoader
workers share its core) with one torch thread, so both see the same load of a shared machine and neither
can borrow the other's core. Each side records the wall-clock and CPU time (its process, plus its
DataLoader workers) right after every ``optimizer.step()``; steps before ``--timing-from`` are a warm-up.
The table gives images per second of the median step, images per second and per CPU second over the whole
timed span (epoch boundaries and lightly's worker start-ups included), and the span's CPU seconds. Model
building, data decoding and feature extraction are not timed. The two sides run different torch builds
(mmcl: the project's 2.13.0 CPU build; lightly: 2.14.1), which the header line prints.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from accelerate.utils import set_seed

from mmcl.adapters.image import load_array_images, load_image_encoder
from mmcl.adapters.image.image_evaluation import embed_pixels, raw_pixel_features
from mmcl.evaluation import knn_accuracy
from mmcl.recipe import load_recipe
from mmcl.train import train

sys.path.insert(0, str(Path(__file__).resolve().parent))
from image_cifar10_data import balanced_subset, load_split  # sibling benchmark modules, not a package
from step_clock import StepClock
from timed_method import timed_method

REPO = Path(__file__).resolve().parents[1]
LIGHTLY_SIDE = Path(__file__).resolve().parent / "image_lightly_side.py"
BACKBONE = {
    "model_type": "resnet",
    "layer_type": "basic",
    "embedding_size": 32,
    "hidden_sizes": [32, 64, 128, 256],
    "depths": [1, 1, 1, 1],
}
"""The image adapter's CPU backbone: a 1.23 M-parameter ResNet with 256 features."""
FEATURE_DIM = 256
WEIGHT_DECAY = 5e-4
TEMPERATURE = 0.5
PROJECTION_DIM = 128


def write_data(folder: Path, train_images: int, bank_images: int, seed: int) -> None:
    """``train.npz`` (the balanced training subset), ``bank.npz`` (the kNN bank: a balanced subset of
    ``bank_images`` training images that holds the training subset) and ``test.npz`` in ``folder``."""
    if bank_images < train_images:
        raise ValueError(f"--bank-images ({bank_images}) must be at least --train-images ({train_images})")
    images, labels = load_split("train")
    chosen = balanced_subset(labels, train_images, seed)
    np.savez(folder / "train.npz", images=images[chosen], labels=labels[chosen])
    bank = chosen
    if bank_images > train_images:
        rest = np.setdiff1d(np.arange(len(labels)), chosen)
        more = rest[balanced_subset(labels[rest], bank_images - train_images, seed)]
        bank = np.sort(np.concatenate([chosen, more]))
    np.savez(folder / "bank.npz", images=images[bank], labels=labels[bank])
    test_images, test_labels = load_split("test")
    np.savez(folder / "test.npz", images=test_images, labels=test_labels)


def recipe_overrides(arguments: argparse.Namespace, data: Path, method: str) -> list[str]:
    """``--set`` overrides pinning ``recipes/image-simclr.yaml`` to the benchmark's shared settings."""
    overrides: dict[str, Any] = {
        "adapter.data": {"train": str(data / "train.npz"), "test": str(data / "test.npz")},
        "adapter.encoder_config": BACKBONE,
        "adapter.cifar_stem": True,
        "adapter.image_size": 32,
        "adapter.channels_last": arguments.channels_last,
        "adapter.augmentations": "simclr",
        "adapter.augmentation_overrides": {},
        "adapter.evaluation": "none",
        "method": {
            "name": method,
            "projection_dim": PROJECTION_DIM,
            "hidden_dim": FEATURE_DIM,
            "temperature": TEMPERATURE,
        },
        "train.batch_size": arguments.batch_size,
        "train.epochs": arguments.epochs,
        "train.max_steps": None,
        "train.gradient_accumulation_steps": 1,
        "train.mixed_precision": "no",
        "train.seed": arguments.seed,
        "train.num_workers": 0,
        "train.progress_bar": False,
        "optimizer": {
            "name": "sgd",
            "lr": arguments.lr,
            "momentum": 0.9,
            "weight_decay": WEIGHT_DECAY,
            "decay_bias_and_norm": True,
        },
        "schedule": {"name": "cosine", "warmup_steps": 0, "final_lr_ratio": 0.0},
        "checkpoint.every_n_steps": None,
        "evaluation": {"every_n_steps": None, "at_end": False},
        "output.trackers": [],
    }
    return [f"{key}={json.dumps(value)}" for key, value in overrides.items()]


def save_initial_backbone(arguments: argparse.Namespace, data: Path, folder: Path) -> None:
    """The encoder mmcl's engine starts from (same recipe, same seed), as a `transformers` folder."""
    recipe = load_recipe(arguments.recipe, recipe_overrides(arguments, data, "simclr"))
    adapter = recipe.adapter.build()
    set_seed(arguments.seed)  # as the engine does right before building the encoder
    encoder, _ = adapter.build_encoder()
    folder.mkdir()
    adapter.save_encoder(encoder, folder)


def save_features(encoder: torch.nn.Module, data: Path, out: Path) -> None:
    """``bank_features.npy`` and ``test_features.npy`` of the un-augmented bank and test images."""
    for name in ("bank", "test"):
        pixels = load_array_images(data / f"{name}.npz").pixels
        np.save(out / f"{name}_features.npy", embed_pixels(encoder, pixels, torch.device("cpu")).numpy())


def run_mmcl(arguments: argparse.Namespace, run: Path) -> dict[str, float]:
    """mmcl's side (in a worker process): train through the engine, save the features, return the timings."""
    clock = StepClock()
    overrides = recipe_overrides(arguments, run / "data", timed_method("simclr", clock))
    model_folder = train(load_recipe(arguments.recipe, overrides, output_dir=run / "mmcl-run"))
    save_features(load_image_encoder(model_folder), run / "data", run / "mmcl")
    return clock.summary(arguments.batch_size, arguments.timing_from)


def lightly_command(arguments: argparse.Namespace, run: Path, core: int) -> list[str]:
    """The command line of lightly's side, in lightly's environment."""
    options = {
        "train": run / "data" / "train.npz",
        "bank": run / "data" / "bank.npz",
        "test": run / "data" / "test.npz",
        "backbone": run / "initial-backbone",
        "out": run / "lightly",
        "epochs": arguments.epochs,
        "batch-size": arguments.batch_size,
        "lr": arguments.lr,
        "weight-decay": WEIGHT_DECAY,
        "temperature": TEMPERATURE,
        "projection-dim": PROJECTION_DIM,
        "seed": arguments.seed,
        "workers": arguments.lightly_workers,
        "timing-from": arguments.timing_from,
        "threads": 1,
        "core": core,
    }
    flags = [item for key, value in options.items() for item in (f"--{key}", str(value))]
    return [arguments.lightly_python, str(LIGHTLY_SIDE), "train", *flags]


def run_side_by_side(arguments: argparse.Namespace, run: Path) -> dict[str, dict[str, Any]]:
    """Both libraries at the same time, each in its own process pinned to its own core."""
    cores = sorted(os.sched_getaffinity(0))
    mmcl_command = [sys.executable, __file__, *sys.argv[1:], "--worker", str(run), "--core", str(cores[-1])]
    commands = {"lightly": lightly_command(arguments, run, cores[0]), "mmcl": mmcl_command}
    processes = {
        name: subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        for name, command in commands.items()
    }
    results = {}
    for name, process in processes.items():
        output, _ = process.communicate()
        if process.returncode != 0:
            raise RuntimeError(
                f"{name}'s side failed (exit status {process.returncode}); its output is above"
            )
        results[name] = json.loads(output.strip().splitlines()[-1])
    return results


def knn_rows(run: Path) -> dict[str, float]:
    """kNN top-1 (%) of both libraries' features and of the raw pixels, and the raw pixels' cosine 1-NN."""
    bank, test = np.load(run / "data" / "bank.npz"), np.load(run / "data" / "test.npz")
    accuracy = {
        name: 100 * knn_accuracy(
            np.load(run / name / "bank_features.npy"), bank["labels"],
            np.load(run / name / "test_features.npy"), test["labels"],
        )
        for name in ("lightly", "mmcl")
    }  # fmt: skip
    raw_bank = raw_pixel_features(
        torch.from_numpy(bank["images"])
    )  # (N, 32, 32, 3): the layout is irrelevant
    raw_test = raw_pixel_features(torch.from_numpy(test["images"]))
    accuracy["raw pixels"] = 100 * knn_accuracy(raw_bank, bank["labels"], raw_test, test["labels"])
    accuracy["raw pixels 1-NN"] = 100 * knn_accuracy(raw_bank, bank["labels"], raw_test, test["labels"], k=1)
    return accuracy


def print_table(
    arguments: argparse.Namespace, results: dict[str, dict[str, Any]], accuracy: dict[str, float]
) -> None:
    """The side-by-side table and the mmcl / lightly ratios."""
    print(
        f"\nSimCLR on {arguments.train_images} CIFAR-10 training images (balanced, seed {arguments.seed}), "
        f"{arguments.epochs} epochs of batch {arguments.batch_size}, lr {arguments.lr:g}; ResNet 1.23 M params "
        f"(cifar_stem), mmcl channels_last={arguments.channels_last}; kNN k=200 T=0.1 on the 10,000 test images "
        f"(bank: {arguments.bank_images} training images); one core and one torch thread per library, both at the same time; "
        f"steps timed from step {arguments.timing_from} (mmcl torch {torch.__version__}, lightly torch "
        f"{results['lightly']['torch']})\n"
    )
    print("| library | kNN top-1 % | images/s (median step) | images/s (run) | images/CPU-s | CPU s |")
    print("|---|---|---|---|---|---|")
    for name in ("lightly", "mmcl"):
        result = results[name]
        print(
            f"| {name} | {accuracy[name]:.2f} | {result['median_step_samples_per_second']:.1f} | "
            f"{result['samples_per_second']:.1f} | {result['samples_per_cpu_second']:.1f} | {result['cpu_seconds']:.0f} |"
        )
    mmcl, lightly = results["mmcl"], results["lightly"]
    print(
        f"| mmcl / lightly | {accuracy['mmcl'] - accuracy['lightly']:+.2f} points | "
        f"{mmcl['median_step_samples_per_second'] / lightly['median_step_samples_per_second']:.2f}x | "
        f"{mmcl['samples_per_second'] / lightly['samples_per_second']:.2f}x | "
        f"{mmcl['samples_per_cpu_second'] / lightly['samples_per_cpu_second']:.2f}x | "
        f"{mmcl['cpu_seconds'] / lightly['cpu_seconds']:.2f}x |"
    )
    print(
        f"| raw pixels (same kNN) | {accuracy['raw pixels']:.2f} | | | | |\n"
        f"| raw pixels (cosine 1-NN) | {accuracy['raw pixels 1-NN']:.2f} | | | | |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--train-images", type=int, default=10_000, help="balanced training subset (x10)")
    parser.add_argument(
        "--bank-images",
        type=int,
        default=50_000,
        help="kNN bank: balanced training images (x10), all by default",
    )
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument(
        "--lr", type=float, default=0.12, help="lightly's CIFAR-10 benchmark: 0.06 x batch / 128"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timing-from", type=int, default=5, help="steps before the timed span (warm-up)")
    parser.add_argument(
        "--channels-last",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="mmcl's adapter.channels_last (lightly has no such option)",
    )
    parser.add_argument("--recipe", default=str(REPO / "recipes" / "image-simclr.yaml"))
    parser.add_argument("--lightly-python", default="/work/lightly-venv/bin/python")
    parser.add_argument("--lightly-workers", type=int, default=2, help="lightly's DataLoader workers")
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--core", type=int, help=argparse.SUPPRESS)
    arguments = parser.parse_args()

    if arguments.worker:
        os.sched_setaffinity(0, {arguments.core})
        torch.set_num_threads(1)
        print(json.dumps(run_mmcl(arguments, arguments.worker)))
        return

    started = time.time()
    with tempfile.TemporaryDirectory() as folder:
        run = Path(folder)
        for name in ("data", "lightly", "mmcl"):
            (run / name).mkdir()
        write_data(run / "data", arguments.train_images, arguments.bank_images, arguments.seed)
        save_initial_backbone(arguments, run / "data", run / "initial-backbone")
        results = run_side_by_side(arguments, run)
        accuracy = knn_rows(run)
    print_table(arguments, results, accuracy)
    print(f"\n[done in {time.time() - started:.0f} s]")


if __name__ == "__main__":
    main()
