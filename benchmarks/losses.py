"""Forward + backward time and peak memory of NT-Xent / InfoNCE: mmcl vs peers vs a plain-PyTorch reference.

Run:  python benchmarks/losses.py [--sizes 256 1024 4096] [--repeats 5] [--threads 2]

Cases run interleaved (every implementation once per round) and the table reports medians; ratios are
against the plain reference (normalize, one matmul, masked diagonal, cross_entropy) at the same size.
Peak memory is the growth of the process's resident-set high-water mark during one forward + backward
(Linux: VmHWM is reset through /proc/self/clear_refs before each measurement, freed heap trimmed first).

Peers are optional: pytorch-metric-learning (`pip install pytorch-metric-learning`) and lightly
(`pip install lightly`; it needs torchvision, which does not import beside the CPU torch 2.13 build used
here — make a separate venv with `pip install torch==2.14.1 torchvision==0.29.1 lightly` and run this script
there). A peer that is not installed is skipped with a note. pytorch-metric-learning materialises
per-pair tensors and needs > 8 GB from N = 1024, so it only runs at N <= --pml-max (default 256).
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import gc
import statistics
import time
from collections.abc import Callable

import torch
import torch.nn.functional as F

from mmcl.losses import info_nce, nt_xent

TEMPERATURE = 0.5


def plain_reference(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    z = F.normalize(torch.cat([a, b]), dim=1)
    logits = z @ z.T / TEMPERATURE
    logits.fill_diagonal_(float("-inf"))
    n = a.shape[0]
    targets = torch.cat([torch.arange(n, 2 * n), torch.arange(n)])
    return F.cross_entropy(logits, targets)


def implementations(chunk_size: int) -> tuple[dict[str, Callable | None], list[str]]:
    notes = []
    cases: dict[str, Callable | None] = {
        "plain reference": plain_reference,
        "mmcl nt_xent": lambda a, b: nt_xent(a, b, temperature=TEMPERATURE),
        f"mmcl nt_xent chunk={chunk_size}": lambda a, b: nt_xent(
            a, b, temperature=TEMPERATURE, chunk_size=chunk_size
        ),
        "mmcl info_nce": lambda a, b: info_nce(a, b, temperature=TEMPERATURE),
    }
    try:
        from lightly.loss import NTXentLoss as LightlyNTXent

        lightly_loss = LightlyNTXent(temperature=TEMPERATURE)
        cases["lightly NTXentLoss"] = lambda a, b: lightly_loss(a, b)
    except Exception as error:  # ImportError, or torchvision's operator error beside the CPU build
        notes.append(f"lightly skipped ({type(error).__name__}): see the module docstring for its venv")
    try:
        from pytorch_metric_learning.losses import NTXentLoss as PMLNTXent

        pml_loss = PMLNTXent(temperature=TEMPERATURE)

        def pml(a, b):
            n = a.shape[0]
            return pml_loss(torch.cat([a, b]), torch.arange(n).repeat(2))

        cases["pytorch-metric-learning NTXentLoss"] = pml
    except ImportError:
        notes.append("pytorch-metric-learning skipped: pip install pytorch-metric-learning")
    return cases, notes


def _resident_kib(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def _release_memory() -> None:
    gc.collect()
    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def peak_memory_mib(fn: Callable, a: torch.Tensor, b: torch.Tensor) -> float:
    _release_memory()
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")  # reset the high-water mark
    before = _resident_kib("VmRSS:")
    fn(a, b).backward()
    peak = _resident_kib("VmHWM:")
    a.grad = b.grad = None
    return (peak - before) / 1024


def seconds(fn: Callable, a: torch.Tensor, b: torch.Tensor) -> float:
    start = time.perf_counter()
    fn(a, b).backward()
    elapsed = time.perf_counter() - start
    a.grad = b.grad = None
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 1024, 4096])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--chunk-size", type=int, default=1024)
    parser.add_argument("--pml-max", type=int, default=256)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    cases, notes = implementations(args.chunk_size)
    shapes = [(n, 128) for n in args.sizes] + ([(1024, 768)] if 1024 in args.sizes else [])

    print(
        f"torch {torch.__version__}, {args.threads} threads, temperature {TEMPERATURE}, medians of {args.repeats}"
    )
    print(f"{'N':>5} {'D':>4}  {'implementation':<38} {'ms':>9} {'x ref':>6} {'peak MiB':>9} {'x ref':>6}")
    for n, d in shapes:
        torch.manual_seed(0)
        a = torch.randn(n, d, requires_grad=True)
        b = torch.randn(n, d, requires_grad=True)
        active = {
            name: fn
            for name, fn in cases.items()
            if not (name.startswith("pytorch-metric") and n > args.pml_max)
        }
        for fn in active.values():  # warm-up
            seconds(fn, a, b)
        timings: dict[str, list[float]] = {name: [] for name in active}
        for _ in range(args.repeats):
            for name, fn in active.items():
                timings[name].append(seconds(fn, a, b))
        memory = {name: peak_memory_mib(fn, a, b) for name, fn in active.items()}
        reference_time = statistics.median(timings["plain reference"])
        reference_memory = memory["plain reference"]
        for name in active:
            median = statistics.median(timings[name])
            print(
                f"{n:>5} {d:>4}  {name:<38} {1000 * median:>9.1f} {median / reference_time:>6.2f} "
                f"{memory[name]:>9.1f} {memory[name] / reference_memory:>6.2f}"
            )
        if n > args.pml_max and "pytorch-metric-learning NTXentLoss" in cases:
            print(f"{n:>5} {d:>4}  {'pytorch-metric-learning NTXentLoss':<38} skipped: > 8 GB at this size")
    for note in notes:
        print("note:", note)


if __name__ == "__main__":
    main()
