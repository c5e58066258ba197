"""Fine-tune all-MiniLM-L6-v2 on STS-B train with mmcl and with sentence-transformers, side by side.

Two objectives, each trained by both libraries on the same rows, for the same steps, batch size, maximum
length, learning rate, schedule, gradient clipping and seed:

- ``mnrl``: the pairs of STS-B train with a score >= 4 as positives, in-batch negatives — mmcl's
  ``text-infonce`` (temperature 0.05) vs sentence-transformers' ``MultipleNegativesRankingLoss`` (scale 20)
  with its ``NO_DUPLICATES`` batch sampler;
- ``cosent``: every scored pair of STS-B train — mmcl's ``text-cosent`` vs ``CoSENTLoss`` (scale 20).

mmcl trains through its engine (``mmcl.train.train`` on a recipe, as ``mmcl train`` does); sentence-transformers
through ``SentenceTransformerTrainer``. Both models are then scored by the same code: Spearman correlation
(x100) of cosine similarity with the gold scores of STS-B test, embeddings from ``SentenceTransformer.encode``.
The two libraries train at the same time, each in its own process with ``--threads`` CPU threads, so both see
the same load of a shared machine. Throughput is training samples (pairs) per second of the median optimizer
step after step ``--timing-from``, timed right after each optimizer step in both libraries (model loading,
evaluation and saving excluded) — per wall-clock second and per second of the process's CPU time.

Usage (from the repository root; data in ../shared/data/text):
    nice -n 10 python benchmarks/text_vs_sentence_transformers.py --seed 0   # then --seed 1, --seed 2
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import datasets
import torch
import yaml
from sentence_transformers import (
    SentenceTransformer,
    SentenceTransformerTrainer,
    SentenceTransformerTrainingArguments,
)
from sentence_transformers.base.sampler import BatchSamplers
from sentence_transformers.sentence_transformer.losses import CoSENTLoss, MultipleNegativesRankingLoss
from step_clock import StepClock  # sibling benchmark modules, not a package
from text_stsb import BASE_MODEL, stsb_data_source, stsb_recipe, stsb_test_spearman
from timed_method import timed_method
from transformers import TrainerCallback

from mmcl.adapters.text import read_text_data
from mmcl.recipe import load_recipe
from mmcl.train import train

OBJECTIVES = {
    "mnrl": {"mmcl_method": {"name": "text-infonce", "temperature": 0.05}, "min_score": 4.0},
    "cosent": {"mmcl_method": {"name": "text-cosent", "scale": 20.0}, "min_score": None},
}


class StepClockCallback(TrainerCallback):
    """Ticks a `StepClock` at the end of each optimizer step of sentence-transformers' trainer (mmcl's side
    ticks from the method's ``on_step_end``, `timed_method`: the same point of the loop)."""

    def __init__(self, clock: StepClock) -> None:
        self.clock = clock

    def on_step_end(self, args, state, control, **kwargs) -> None:
        self.clock.tick()


def train_with_mmcl(
    objective: str, arguments: argparse.Namespace, run_dir: Path
) -> tuple[SentenceTransformer, dict[str, float]]:
    """Train through mmcl's engine; the saved folder is loaded back with ``SentenceTransformer``."""
    clock = StepClock()
    method = dict(OBJECTIVES[objective]["mmcl_method"])
    method["name"] = timed_method(method["name"], clock)
    recipe = stsb_recipe(
        f"bench-{objective}",
        method,
        batch_size=arguments.batch_size,
        steps=arguments.steps,
        lr=arguments.lr,
        seed=arguments.seed,
        max_length=arguments.max_length,
        min_score=OBJECTIVES[objective]["min_score"],
        warmup_steps=arguments.warmup_steps,
        group_by_length=arguments.group_by_length,
    )
    recipe_file = run_dir / f"mmcl-{objective}.yaml"
    recipe_file.write_text(yaml.safe_dump(recipe))
    model_folder = train(load_recipe(recipe_file, output_dir=run_dir / f"mmcl-{objective}"))
    model = SentenceTransformer(str(model_folder), device="cpu")
    return model, clock.summary(arguments.batch_size, arguments.timing_from)


def train_with_sentence_transformers(
    objective: str, arguments: argparse.Namespace, run_dir: Path
) -> tuple[SentenceTransformer, dict[str, float]]:
    """Train with ``SentenceTransformerTrainer`` on the same rows."""
    data, _ = read_text_data(stsb_data_source("train", OBJECTIVES[objective]["min_score"]))
    model = SentenceTransformer(BASE_MODEL, device="cpu")
    evaluation_length, model.max_seq_length = model.max_seq_length, arguments.max_length
    if objective == "mnrl":
        data, loss, sampler = (
            data.remove_columns("score"),
            MultipleNegativesRankingLoss(model, scale=20.0),
            BatchSamplers.NO_DUPLICATES,
        )
    else:
        loss, sampler = CoSENTLoss(model, scale=20.0), BatchSamplers.BATCH_SAMPLER
    clock = StepClock()
    trainer = SentenceTransformerTrainer(
        model=model,
        args=SentenceTransformerTrainingArguments(
            output_dir=str(run_dir / f"st-{objective}"),
            max_steps=arguments.steps,
            per_device_train_batch_size=arguments.batch_size,
            learning_rate=arguments.lr,
            warmup_steps=arguments.warmup_steps,
            lr_scheduler_type="linear",
            weight_decay=0.0,
            max_grad_norm=1.0,
            seed=arguments.seed,
            batch_sampler=sampler,
            dataloader_drop_last=True,
            save_strategy="no",
            report_to="none",
            logging_steps=arguments.steps,
            disable_tqdm=True,
            use_cpu=True,
            optim=arguments.st_optimizer,
        ),
        train_dataset=data,
        loss=loss,
        callbacks=[StepClockCallback(clock)],
    )
    trainer.train()
    model.max_seq_length = evaluation_length  # evaluated as mmcl's saved model, which keeps its own
    return model, clock.summary(arguments.batch_size, arguments.timing_from)


def run_worker(library: str, objective: str, arguments: argparse.Namespace) -> None:
    """Train one library on one objective in this process; print its results as one JSON line."""
    torch.set_num_threads(arguments.threads)
    torch.manual_seed(arguments.seed)
    datasets.disable_progress_bars()
    with tempfile.TemporaryDirectory() as folder:
        trainer = train_with_mmcl if library == "mmcl" else train_with_sentence_transformers
        model, throughput = trainer(objective, arguments, Path(folder))
        print(json.dumps({"spearman": stsb_test_spearman(model), **throughput}))


def run_side_by_side(objective: str, argv: list[str]) -> dict[str, dict[str, float]]:
    """Both libraries on ``objective`` at the same time, each in its own process (same machine load)."""
    processes = {
        library: subprocess.Popen(
            [sys.executable, __file__, *argv, "--worker", library, objective],
            stdout=subprocess.PIPE,
            text=True,
        )
        for library in ("mmcl", "st")
    }
    results = {}
    for library, process in processes.items():
        output, _ = process.communicate()
        if process.returncode != 0:
            raise RuntimeError(f"the {library} run of {objective} failed (exit status {process.returncode})")
        results[library] = json.loads(output.strip().splitlines()[-1])
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--steps", type=int, default=360, help="optimizer steps per run (360 x 16: one epoch of STS-B train)"
    )
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--max-length", type=int, default=64, help="tokens per training text")
    parser.add_argument("--lr", type=float, default=2e-5)
    parser.add_argument(
        "--warmup-ratio", type=float, default=0.1, help="share of the steps with linear warmup"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--threads", type=int, default=1, help="CPU threads of each of the two training processes"
    )
    parser.add_argument("--timing-from", type=int, default=5, help="throughput is timed after this step")
    parser.add_argument(
        "--st-optimizer",
        default="adamw_torch_fused",
        help="sentence-transformers' optimizer: its default adamw_torch_fused (the same kernel as mmcl's "
        "default AdamW), or e.g. adamw_torch",
    )
    parser.add_argument(
        "--group-by-length",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="mmcl's adapter.group_by_length (off by default); sentence-transformers' batch samplers have none",
    )
    parser.add_argument("--objectives", nargs="+", choices=list(OBJECTIVES), default=list(OBJECTIVES))
    parser.add_argument("--worker", nargs=2, metavar=("LIBRARY", "OBJECTIVE"), help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    arguments.warmup_steps = round(arguments.warmup_ratio * arguments.steps)
    if arguments.worker:
        run_worker(*arguments.worker, arguments)
        return

    argv = [argument for argument in sys.argv[1:] if argument not in ("--objectives", *OBJECTIVES)]
    rows = []
    for objective in arguments.objectives:
        started = time.time()
        rows.append((objective, run_side_by_side(objective, argv)))
        print(f"[{objective} done in {time.time() - started:.0f} s]", flush=True)
    torch.set_num_threads(arguments.threads)
    base = stsb_test_spearman(SentenceTransformer(BASE_MODEL, device="cpu"))

    print(
        f"\nall-MiniLM-L6-v2 on STS-B train: {arguments.steps} steps, batch {arguments.batch_size}, max length "
        f"{arguments.max_length}, lr {arguments.lr:g}, warmup {arguments.warmup_steps}, seed {arguments.seed}; "
        f"sentence-transformers optimizer {arguments.st_optimizer}, mmcl's AdamW fused (its default), mmcl "
        f"group_by_length={arguments.group_by_length}; both "
        f"libraries at the same time, {arguments.threads} CPU thread(s) each"
    )
    print(f"STS-B test Spearman of the base model: {base:.2f}\n")
    header = ["objective", "mmcl Spearman", "ST Spearman", "mmcl samples/s", "ST samples/s", "ratio"]
    header += ["mmcl samples/CPU-s", "ST samples/CPU-s", "CPU ratio"]
    table = [header]
    for name, result in rows:
        mmcl, st = result["mmcl"], result["st"]
        wall_ratio = mmcl["median_step_samples_per_second"] / st["median_step_samples_per_second"]
        cpu_ratio = mmcl["median_step_samples_per_cpu_second"] / st["median_step_samples_per_cpu_second"]
        table.append(
            [
                name,
                f"{mmcl['spearman']:.2f}",
                f"{st['spearman']:.2f}",
                f"{mmcl['median_step_samples_per_second']:.1f}",
                f"{st['median_step_samples_per_second']:.1f}",
                f"{wall_ratio:.2f}",
                f"{mmcl['median_step_samples_per_cpu_second']:.1f}",
                f"{st['median_step_samples_per_cpu_second']:.1f}",
                f"{cpu_ratio:.2f}",
            ]
        )
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for row in table:
        cells = zip(row, widths, strict=True)
        print(
            "  ".join(cell.rjust(width) if i else cell.ljust(width) for i, (cell, width) in enumerate(cells))
        )


if __name__ == "__main__":
    main()
