"""lightly's side of the image benchmarks, run in lightly's own virtual environment.

lightly needs torchvision, which does not import beside mmcl's CPU torch build, so ``image_vs_lightly.py`` and
``image_augmentation.py`` run this script with lightly's interpreter (set-up in ``image_vs_lightly.py``). It
imports only torch, torchvision, lightly, transformers, numpy, Pillow, psutil and its sibling ``step_clock`` —
never mmcl — and uses lightly as its users do: ``SimCLRTransform`` on PIL images in DataLoader workers,
``SimCLRProjectionHead``, ``NTXentLoss``.

Commands (each prints one JSON line on stdout):

- ``augment``: milliseconds per batch of ``SimCLRTransform`` (two views of every image, then the DataLoader's
  default collate), one image at a time on this process's threads — what one DataLoader worker does.
- ``train``: SimCLR with lightly on the images of ``--train`` from the backbone folder ``--backbone`` (a
  ``transformers`` model and its image processor, the same weights and input resolution mmcl starts from); writes the backbone's features of the images of
  ``--bank`` and ``--test`` to ``--out`` (``bank_features.npy``, ``test_features.npy``) and prints the step
  times.

Image files are ``.npz`` with uint8 ``images`` ``(N, H, W, 3)`` (and ``labels``), as mmcl's image adapter reads.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from lightly.loss import NTXentLoss
from lightly.models.modules import SimCLRProjectionHead
from lightly.transforms import SimCLRTransform
from PIL import Image
from torch import nn
from torch.utils.data import DataLoader, Dataset, default_collate
from transformers import AutoModel

sys.path.insert(0, str(Path(__file__).resolve().parent))
from step_clock import StepClock  # a sibling benchmark module, not a package


class PILImages(Dataset):
    """uint8 ``(N, H, W, 3)`` images served as PIL images through ``transform`` (as torchvision's CIFAR10)."""

    def __init__(self, images: np.ndarray, transform: SimCLRTransform) -> None:
        self.images = images
        self.transform = transform

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> list[torch.Tensor]:
        return self.transform(Image.fromarray(self.images[index]))


class Backbone(nn.Module):
    """A saved `transformers` vision backbone behind the resize of its image processor: normalised
    ``(B, 3, H, W)`` images are resized (bilinear) to the processor's resolution when it differs, and the pooled output is flattened to ``(N, D)``."""

    def __init__(self, folder: str) -> None:
        super().__init__()
        self.model = AutoModel.from_pretrained(folder, use_safetensors=True, trust_remote_code=True)
        processor = json.loads((Path(folder) / "preprocessor_config.json").read_text())
        self.resolution = (processor["size"]["height"], processor["size"]["width"])
        self.image_mean, self.image_std = processor["image_mean"], processor["image_std"]

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        if tuple(pixels.shape[-2:]) != self.resolution:
            pixels = F.interpolate(
                pixels, size=self.resolution, mode="bilinear", antialias=True, align_corners=False
            )
        return self.model(pixel_values=pixels).pooler_output.flatten(1)


def simclr_transform(size: int) -> SimCLRTransform:
    """lightly's SimCLR views as in its CIFAR-10 benchmark: no Gaussian blur at 32 pixels."""
    return SimCLRTransform(input_size=size, gaussian_blur=0.0)


def augment(arguments: argparse.Namespace) -> dict[str, float]:
    """Median wall-clock and CPU milliseconds to turn ``batch_size`` images into two collated views, one image
    at a time; the first batch is a warm-up."""
    torch.manual_seed(arguments.seed)
    images = np.load(arguments.train)["images"][: arguments.batch_size * (arguments.repeats + 1)]
    dataset = PILImages(images, simclr_transform(images.shape[1]))
    wall, cpu = [], []
    for start in range(0, len(images), arguments.batch_size):
        wall_start, cpu_start = time.perf_counter(), time.process_time()
        default_collate([dataset[i] for i in range(start, start + arguments.batch_size)])
        wall.append(time.perf_counter() - wall_start)
        cpu.append(time.process_time() - cpu_start)
    return {
        "ms_per_batch": 1000 * statistics.median(wall[1:]),
        "cpu_ms_per_batch": 1000 * statistics.median(cpu[1:]),
        "batches": len(wall) - 1,
    }


@torch.no_grad()
def features(backbone: Backbone, images: np.ndarray, batch_size: int = 512) -> np.ndarray:
    """Backbone features of un-augmented uint8 ``(N, H, W, 3)`` images, normalised as its processor says."""
    backbone.eval()
    mean = torch.tensor(backbone.image_mean).view(1, 3, 1, 1)
    std = torch.tensor(backbone.image_std).view(1, 3, 1, 1)
    chunks = []
    for start in range(0, len(images), batch_size):
        pixels = torch.from_numpy(images[start : start + batch_size]).permute(0, 3, 1, 2).float() / 255
        chunks.append(backbone((pixels - mean) / std))
    return torch.cat(chunks).numpy()


def train(arguments: argparse.Namespace) -> dict[str, float]:
    """SimCLR with lightly; features of the bank and test images to ``--out``; the step times."""
    images = np.load(arguments.train)["images"]
    torch.manual_seed(arguments.seed)
    backbone = Backbone(arguments.backbone)
    feature_dim = features(backbone, np.zeros((1, *images.shape[1:]), dtype=np.uint8)).shape[1]
    head = SimCLRProjectionHead(feature_dim, feature_dim, arguments.projection_dim)
    criterion = NTXentLoss(temperature=arguments.temperature)
    model = nn.ModuleDict({"backbone": backbone, "head": head})
    loader = DataLoader(
        PILImages(images, simclr_transform(images.shape[1])),
        batch_size=arguments.batch_size,
        shuffle=True,
        drop_last=True,
        num_workers=arguments.workers,
        generator=torch.Generator().manual_seed(arguments.seed),
    )
    total_steps = arguments.epochs * len(loader)
    optimizer = torch.optim.SGD(
        model.parameters(), lr=arguments.lr, momentum=0.9, weight_decay=arguments.weight_decay
    )
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=total_steps)
    clock = StepClock()
    model.train()
    for _ in range(arguments.epochs):
        for view_a, view_b in loader:
            z_a, z_b = head(backbone(view_a)), head(backbone(view_b))
            loss = criterion(z_a, z_b)
            loss.backward()
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            clock.tick()
    out = Path(arguments.out)
    for name in ("bank", "test"):
        np.save(out / f"{name}_features.npy", features(backbone, np.load(getattr(arguments, name))["images"]))
    return clock.summary(arguments.batch_size, arguments.timing_from)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["augment", "train"])
    parser.add_argument("--train", required=True, help=".npz of the training images")
    parser.add_argument("--bank", help="train: .npz of the kNN bank's images")
    parser.add_argument("--test", help="train: .npz of the test images")
    parser.add_argument("--threads", type=int, default=1, help="torch threads of this process")
    parser.add_argument("--core", type=int, help="pin this process (and its workers) to this CPU core")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=10, help="augment: timed batches")
    parser.add_argument("--backbone", help="train: transformers folder of the initial backbone")
    parser.add_argument("--out", help="train: folder for the feature files")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--lr", type=float, default=0.12)
    parser.add_argument("--weight-decay", type=float, default=5e-4)
    parser.add_argument("--temperature", type=float, default=0.5)
    parser.add_argument("--projection-dim", type=int, default=128)
    parser.add_argument("--workers", type=int, default=2, help="train: DataLoader worker processes")
    parser.add_argument("--timing-from", type=int, default=5, help="train: steps before the timed span")
    arguments = parser.parse_args()
    if arguments.core is not None:
        os.sched_setaffinity(0, {arguments.core})
    torch.set_num_threads(arguments.threads)
    result = augment(arguments) if arguments.command == "augment" else train(arguments)
    print(json.dumps(result | {"torch": torch.__version__}))


if __name__ == "__main__":
    main()
