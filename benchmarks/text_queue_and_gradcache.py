"""Many negatives without a large batch: a momentum queue at batch 16, and GradCache at batch 512.

1. Queue vs in-batch: all-MiniLM-L6-v2 fine-tuned on the STS-B train pairs with a score >= 4, through mmcl's
   engine, on the same number of training pairs: ``text-infonce`` at batch 64 (63 in-batch negatives) and
   ``text-moco`` at batch 16 (15 in-batch negatives plus a queue of EMA-encoded keys). Scored by STS-B test
   Spearman (x100).
2. GradCache: one training step (forward and backward) of ``text-infonce`` on 512 pairs with
   ``gradcache_chunk_size=64``, against uncached steps on the eight batches of 64 pairs they make up (the
   largest is reported: what uncached training at batch 64 on these texts needs). Peak memory is the
   process's peak resident memory during the step above its resident memory before it (Linux ``VmHWM``, reset
   through ``/proc/self/clear_refs``; ``torch.cuda.max_memory_allocated`` on a GPU), in a fresh process. The gradients of the cached step are compared with the uncached step at the same batch of 512
   (dropout off, so both compute the same function).

Usage (from the repository root; data in ../shared/data/text):
    nice -n 10 python benchmarks/text_queue_and_gradcache.py --pairs 2560
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import torch
import yaml
from sentence_transformers import SentenceTransformer
from text_stsb import BASE_MODEL, stsb_data_source, stsb_recipe, stsb_test_spearman  # a sibling module

from mmcl.adapters.text import TextCollator, TextInfoNCE, load_sentence_encoder, read_text_data
from mmcl.recipe import load_recipe
from mmcl.train import train


def train_recipe(
    name: str, method: dict, batch_size: int, arguments: argparse.Namespace, run_dir: Path
) -> float:
    """Train through mmcl's engine on the STS-B >= 4 pairs; the STS-B test Spearman of the saved model."""
    steps = arguments.pairs // batch_size
    recipe = stsb_recipe(
        name, method, batch_size=batch_size, steps=steps, lr=arguments.lr, seed=arguments.seed
    )
    (run_dir / f"{name}.yaml").write_text(yaml.safe_dump(recipe))
    folder = train(load_recipe(run_dir / f"{name}.yaml", output_dir=run_dir / name))
    return stsb_test_spearman(SentenceTransformer(str(folder), device="cpu"))


def stsb_pairs() -> list[dict]:
    """The STS-B train pairs with a score >= 4, in file order."""
    return list(read_text_data(stsb_data_source("train", min_score=4.0))[0])


def training_step(method: TextInfoNCE, rows: list[dict]) -> float:
    """One forward and backward pass of ``method`` on ``rows`` (gradients set anew); its peak memory in MiB."""
    device = next(method.parameters()).device
    batch = TextCollator(method.encoder.tokenize, max_length=64)(rows)
    views = [{k: v.to(device) for k, v in batch[key].items()} for key in ("a", "b")]
    method.zero_grad(set_to_none=True)
    _reset_peak_memory(device)
    before = _memory_now(device)
    loss, _ = method(*views)
    loss.backward()
    return (_peak_memory(device) - before) / 2**20


def text_infonce(chunk_size: int | None, *, dropout: bool) -> TextInfoNCE:
    """text-infonce on all-MiniLM-L6-v2, on the GPU when there is one."""
    encoder = load_sentence_encoder(BASE_MODEL).train(dropout)
    method = TextInfoNCE(encoder, encoder.dimension, gradcache_chunk_size=chunk_size)
    return method.to(torch.device("cuda" if torch.cuda.is_available() else "cpu"))


def _reset_peak_memory(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    else:
        Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM (the peak resident memory) to now


def _memory_now(device: torch.device) -> int:
    return torch.cuda.memory_allocated(device) if device.type == "cuda" else _status_kib("VmRSS") * 1024


def _peak_memory(device: torch.device) -> int:
    return torch.cuda.max_memory_allocated(device) if device.type == "cuda" else _status_kib("VmHWM") * 1024


def _status_kib(field: str) -> int:
    return int(re.search(rf"{field}:\s+(\d+) kB", Path("/proc/self/status").read_text()).group(1))


def measure_in_fresh_process(batch_size: int, chunk_size: int) -> tuple[float, float]:
    """Peak memory (MiB) in a new Python process: of the GradCache step on the first ``batch_size`` pairs, and
    the largest of the uncached steps on the ``batch_size / chunk_size`` batches of ``chunk_size`` pairs they
    make up (the memory uncached training on the same texts needs). glibc's mmap threshold is fixed, so freed
    activations go back to the system and the resident memory follows the live tensors."""
    command = [sys.executable, __file__, "--measure-memory", str(batch_size), str(chunk_size)]
    environment = os.environ | {"MALLOC_MMAP_THRESHOLD_": "65536"}
    completed = subprocess.run(command, capture_output=True, text=True, check=True, env=environment)
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    return result["gradcache"], result["uncached"]


def gradient_difference(batch_size: int, chunk_size: int) -> tuple[float, float]:
    """Largest absolute difference between the cached and uncached parameter gradients, and the largest
    absolute uncached gradient (dropout off, so both compute the same function)."""
    rows = stsb_pairs()[:batch_size]
    cached, uncached = text_infonce(chunk_size, dropout=False), text_infonce(None, dropout=False)
    training_step(cached, rows)
    training_step(uncached, rows)
    pairs = zip(cached.encoder.parameters(), uncached.encoder.parameters(), strict=True)
    gradients = [(a.grad, b.grad) for a, b in pairs if b.grad is not None]
    largest_difference = max(float((a - b).abs().max()) for a, b in gradients)
    return largest_difference, max(float(b.abs().max()) for _, b in gradients)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=2560, help="training pairs seen by each recipe")
    parser.add_argument("--lr", type=float, default=2e-5)
    parser.add_argument("--queue-size", type=int, default=1024)
    parser.add_argument("--momentum", type=float, default=0.99)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--gradcache-batch", type=int, default=512)
    parser.add_argument(
        "--chunk", type=int, default=64, help="GradCache chunk size, and the uncached batch size"
    )
    parser.add_argument("--skip-queue", action="store_true", help="only the GradCache part")
    parser.add_argument("--skip-gradcache", action="store_true", help="only the queue part")
    parser.add_argument(
        "--measure-memory", nargs=2, type=int, metavar=("BATCH", "CHUNK"), help=argparse.SUPPRESS
    )
    arguments = parser.parse_args()

    if arguments.measure_memory:
        batch_size, chunk = arguments.measure_memory
        rows = stsb_pairs()[:batch_size]
        uncached = text_infonce(None, dropout=True)
        peaks = [
            training_step(uncached, rows[start : start + chunk]) for start in range(0, batch_size, chunk)
        ]
        del uncached
        gradcache = training_step(text_infonce(chunk, dropout=True), rows)
        print(json.dumps({"gradcache": gradcache, "uncached": max(peaks)}))
        return

    if not arguments.skip_queue:
        with tempfile.TemporaryDirectory() as folder:
            base = stsb_test_spearman(SentenceTransformer(BASE_MODEL, device="cpu"))
            in_batch = train_recipe(
                "in-batch-64", {"name": "text-infonce", "temperature": 0.05}, 64, arguments, Path(folder)
            )
            moco = {
                "name": "text-moco",
                "temperature": 0.05,
                "queue_size": arguments.queue_size,
                "momentum": arguments.momentum,
            }
            queue = train_recipe("queue-16", moco, 16, arguments, Path(folder))
        print(
            f"\nSTS-B test Spearman after {arguments.pairs} training pairs (STS-B train, score >= 4); base model {base:.2f}"
        )
        print(f"  text-infonce, batch 64 (in-batch negatives):           {in_batch:.2f}")
        print(
            f"  text-moco, batch 16 + queue of {arguments.queue_size} EMA keys (m={arguments.momentum}): {queue:.2f}"
        )
        print(f"  difference (queue - in-batch):                         {queue - in_batch:+.2f}")

    if arguments.skip_gradcache:
        return
    big, chunk = arguments.gradcache_batch, arguments.chunk
    cached_memory, uncached_memory = measure_in_fresh_process(big, chunk)
    difference, scale = gradient_difference(big, chunk)
    device = "cuda" if torch.cuda.is_available() else "cpu (peak resident memory above the step's start)"
    print(f"\nPeak memory of one text-infonce training step, all-MiniLM-L6-v2, max length 64, on {device}:")
    print(f"  uncached, batch {chunk} (largest of the {big // chunk} batches): {uncached_memory:8.1f} MiB")
    print(
        f"  GradCache, batch {big}, chunks of {chunk}: {cached_memory:8.1f} MiB ({cached_memory / uncached_memory:.2f}x)"
    )
    print(
        f"Gradients, GradCache vs uncached at batch {big} (dropout off): max |difference| {difference:.2e}, max |gradient| {scale:.2e}"
    )


if __name__ == "__main__":
    main()
