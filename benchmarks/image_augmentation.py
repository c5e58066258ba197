"""Throughput of SimCLR's image augmentations: mmcl's batched kornia preset vs lightly's per-image transform.

Run (from the repository root; lightly's environment as set up in ``image_vs_lightly.py``):

    nice -n 10 .venv/bin/python benchmarks/image_augmentation.py [--batch-size 256] [--repeats 20]
        [--lightly-python /work/lightly-venv/bin/python]

Both sides make two SimCLR views (random resized crop, flip, colour jitter p = 0.8, grayscale p = 0.2, no blur
at 32 pixels) of every image of the same batches of CIFAR-10 training images, ending with normalised float
tensors ready for the backbone:

- mmcl: ``image_augmentations("simclr", size=32)`` on a whole uint8 ``(B, 3, 32, 32)`` batch, twice, then the
  ImageNet normalisation — what mmcl's engine does on the training device;
- lightly: ``SimCLRTransform(input_size=32, gaussian_blur=0.0)`` on one PIL image at a time, then the
  DataLoader's default collate — what each of lightly's DataLoader workers does (``image_lightly_side.py``).

The two sides run at the same time, each in its own process pinned to its own CPU core with one torch thread,
so both see the same load of a shared machine (mmcl keeps cycling through the batches until lightly's side is
done). Prints the median wall-clock and CPU milliseconds per batch (the first batch is a warm-up) and
lightly / mmcl, the speed-up per core. On a busy machine the CPU times are
the steadier figure.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from mmcl.adapters.image.augmentation_presets import image_augmentations

sys.path.insert(0, str(Path(__file__).resolve().parent))
from image_cifar10_data import load_split  # a sibling benchmark module, not a package

IMAGENET_MEAN = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
IMAGENET_STD = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
LIGHTLY_SIDE = Path(__file__).resolve().parent / "image_lightly_side.py"


def mmcl_milliseconds(images: np.ndarray, batch_size: int, lightly: subprocess.Popen) -> dict[str, float]:
    """Median wall-clock and CPU milliseconds per batch of two normalised mmcl views, cycling through the
    batches until lightly's side has finished too (so both are timed under the same load)."""
    augment = image_augmentations("simclr", size=images.shape[1])
    batches = torch.from_numpy(images).permute(0, 3, 1, 2).contiguous().split(batch_size)
    wall, cpu = [], []
    for batch in itertools.cycle(batches):
        wall_start, cpu_start = time.perf_counter(), time.process_time()
        for _ in range(2):
            (augment(batch) - IMAGENET_MEAN) / IMAGENET_STD
        wall.append(time.perf_counter() - wall_start)
        cpu.append(time.process_time() - cpu_start)
        if len(wall) > len(batches) and lightly.poll() is not None:
            break
    return {
        "ms_per_batch": 1000 * statistics.median(wall[1:]),
        "cpu_ms_per_batch": 1000 * statistics.median(cpu[1:]),
        "batches": len(wall) - 1,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=20, help="timed batches (after one warm-up batch)")
    parser.add_argument("--lightly-python", default="/work/lightly-venv/bin/python")
    parser.add_argument("--seed", type=int, default=0)
    arguments = parser.parse_args()

    images, labels = load_split("train")
    images = images[: arguments.batch_size * (arguments.repeats + 1)]
    cores = sorted(os.sched_getaffinity(0))
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder) / "images.npz"
        np.savez(data, images=images, labels=labels[: len(images)])
        command = [arguments.lightly_python, str(LIGHTLY_SIDE), "augment", "--train", str(data)]
        options = {"batch-size": arguments.batch_size, "repeats": arguments.repeats, "seed": arguments.seed}
        options |= {"threads": 1, "core": cores[0]}
        command += [item for key, value in options.items() for item in (f"--{key}", str(value))]
        lightly = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        os.sched_setaffinity(0, {cores[-1]})
        torch.set_num_threads(1)
        torch.manual_seed(arguments.seed)
        mmcl = mmcl_milliseconds(images, arguments.batch_size, lightly)
        output, _ = lightly.communicate()
        if lightly.returncode != 0:
            raise RuntimeError(f"lightly's side failed (exit status {lightly.returncode})")
        lightly_result = json.loads(output.strip().splitlines()[-1])

    print(
        f"\nSimCLR views of CIFAR-10 (32 px): batches of {arguments.batch_size} images x 2 views, median of "
        f"{arguments.repeats}; one core and one torch thread per library, both at the same time "
        f"(mmcl torch {torch.__version__}, lightly torch {lightly_result['torch']})\n"
    )
    print("| library | pipeline | ms / batch | CPU ms / batch | images x 2 views / s |")
    print("|---|---|---|---|---|")
    rows = [
        ("lightly", "SimCLRTransform per PIL image + collate", lightly_result),
        ("mmcl", "kornia batched", mmcl),
    ]
    for name, pipeline, result in rows:
        rate = arguments.batch_size / (result["ms_per_batch"] / 1000)
        print(
            f"| {name} | {pipeline} | {result['ms_per_batch']:.1f} | {result['cpu_ms_per_batch']:.1f} | {rate:.0f} |"
        )
    wall_ratio = lightly_result["ms_per_batch"] / mmcl["ms_per_batch"]
    cpu_ratio = lightly_result["cpu_ms_per_batch"] / mmcl["cpu_ms_per_batch"]
    print(f"\nmmcl speed-up per core: {wall_ratio:.1f}x wall-clock, {cpu_ratio:.1f}x CPU time (target >= 4x)")


if __name__ == "__main__":
    main()
