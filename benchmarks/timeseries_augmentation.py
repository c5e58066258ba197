"""Throughput of the ECG augmentation preset: batched on the device vs per sample in DataLoader workers.

Run:  python benchmarks/timeseries_augmentation.py [--samples 8192] [--batch-size 256] [--length 1000]
                                                   [--leads 12] [--workers 2] [--device cpu|cuda]

Both sides apply the same ``augmentation_preset("ecg", sampling_rate=100)`` (window slice, time out,
baseline wander, powerline noise, jitter, scaling) to the same real ECG (the shipped MIT-BIH record 100,
resampled to 100 Hz and cut into ``length``-sample windows, its leads repeated to ``leads``):

- batched: one call per batch of ``batch_size`` windows, on ``device`` (what mmcl's engine does in
  ``make_views``);
- per sample: a ``torch.utils.data.DataLoader`` with ``workers`` worker processes whose dataset augments one
  window at a time (``preset(window[None])``) — how per-sample augmentation pipelines run.

Each side makes two views of every window, as contrastive training does; the first batch is a warm-up and is
not timed. Prints samples/s of each and their ratio.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from mmcl.adapters.timeseries import augmentation_preset, wfdb_dataset
from mmcl.adapters.timeseries.adapter import DATA_DIR

SAMPLING_RATE = 100.0


def ecg_windows(samples: int, length: int, leads: int) -> torch.Tensor:
    """``(samples, leads, length)`` windows of MIT-BIH record 100 at 100 Hz (repeated to fill ``samples``)."""
    record = wfdb_dataset(DATA_DIR / "mitdb" / "100", target_rate=SAMPLING_RATE).with_format("numpy")[0]
    signal = np.asarray(record["signal"], dtype=np.float32)
    count = signal.shape[1] // length
    windows = signal[:, : count * length].reshape(signal.shape[0], count, length).transpose(1, 0, 2)
    windows = np.resize(windows, (samples, windows.shape[1], length))
    return torch.from_numpy(np.tile(windows, (1, -(-leads // windows.shape[1]), 1))[:, :leads].copy())


class PerSampleViews(Dataset):
    """Two augmented views of one window per item, as in a per-sample pipeline."""

    def __init__(self, windows: torch.Tensor) -> None:
        self.windows = windows
        self.augment = augmentation_preset("ecg", sampling_rate=SAMPLING_RATE)

    def __len__(self) -> int:
        return len(self.windows)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        window = self.windows[index][None]
        return self.augment(window)[0], self.augment(window)[0]


def batched_samples_per_second(windows: torch.Tensor, batch_size: int, device: torch.device) -> float:
    augment = augmentation_preset("ecg", sampling_rate=SAMPLING_RATE).to(device)
    batches = windows.to(device).split(batch_size)
    augment(batches[0]), augment(batches[0])  # warm-up
    _synchronize(device)
    start = time.perf_counter()
    for batch in batches[1:]:
        augment(batch), augment(batch)
    _synchronize(device)
    return sum(len(b) for b in batches[1:]) / (time.perf_counter() - start)


def per_sample_samples_per_second(windows: torch.Tensor, batch_size: int, workers: int) -> float:
    loader = DataLoader(PerSampleViews(windows), batch_size=batch_size, num_workers=workers)
    iterator = iter(loader)
    next(iterator)  # warm-up: starts the workers
    start, seen = time.perf_counter(), 0
    for first, _ in iterator:
        seen += len(first)
    return seen / (time.perf_counter() - start)


def _synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--samples", type=int, default=8192)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--length", type=int, default=1000)
    parser.add_argument("--leads", type=int, default=12)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    arguments = parser.parse_args()
    windows = ecg_windows(arguments.samples, arguments.length, arguments.leads)
    batched = batched_samples_per_second(windows, arguments.batch_size, torch.device(arguments.device))
    per_sample = per_sample_samples_per_second(windows, arguments.batch_size, arguments.workers)
    shape = (
        f"{arguments.samples} windows x {arguments.leads} leads x {arguments.length} samples, two views each"
    )
    print(f"ECG preset, {shape}")
    print(f"batched on {arguments.device} (batch {arguments.batch_size}): {batched:10.0f} samples/s")
    print(f"per sample, DataLoader with {arguments.workers} workers: {per_sample:10.0f} samples/s")
    print(f"ratio batched / per sample: {batched / per_sample:.1f}x")


if __name__ == "__main__":
    main()
