"""The text adapter on two real processes (gloo): text-infonce's gathered path gives the same loss and gradients
as one process on the whole batch (a text repeated across ranks, hard negatives from both ranks, with and
without GradCache chunks); and the engine trains a text recipe under DDP with GradCache, each process on its
slice of a global batch with no text twice."""

import csv
from pathlib import Path

import pytest
import yaml

from tests.distributed.launch import run_two_processes

pytestmark = pytest.mark.distributed


def test_gathered_infonce_equals_one_process(tmp_path):
    for result in run_two_processes(Path(__file__).with_name("two_process_worker.py"), tmp_path):
        assert result.keys() == {"one_pass", "gradcache"}
        for difference in result.values():
            assert difference["loss"] < 1e-6, result
            assert difference["grad"] < 1e-6, result


def test_the_engine_trains_a_text_recipe_under_ddp_with_gradcache(tmp_path, tiny_model_dir):
    with (tmp_path / "pairs.csv").open("w", newline="") as handle:
        rows = [  # each anchor twice: a global batch of 16 rows can hold each only once
            (f"sentence {i % 16} about a cat", f"another sentence {i} about {'a dog ' * (1 + i % 4)}")
            for i in range(32)
        ]
        csv.writer(handle).writerows([("q", "a"), *rows])
    recipe = {
        "adapter": {
            "name": "text",
            "model": str(tiny_model_dir),
            "max_length": 32,
            "train": [{"path": str(tmp_path / "pairs.csv"), "columns": {"anchor": "q", "positive": "a"}}],
        },
        "method": {"name": "text-infonce-recording", "gradcache_chunk_size": 3},
        "train": {"batch_size": 8, "max_steps": 2, "progress_bar": False},
        "optimizer": {"name": "adamw", "lr": 1.0e-3},
        "output": {"trackers": []},
    }
    (tmp_path / "recipe.yaml").write_text(yaml.safe_dump(recipe))
    script = Path(__file__).with_name("two_process_training_worker.py")
    first, second = run_two_processes(script, tmp_path, str(tmp_path / "recipe.yaml"))
    assert len(first["anchor_ids"]) == len(second["anchor_ids"]) == 2
    for mine, theirs in zip(first["anchor_ids"], second["anchor_ids"], strict=True):
        assert len(mine) == len(theirs) == 8 and len(set(mine + theirs)) == 16
    # BERT's pooler runs but never reaches the sentence embedding: frozen, so DDP does not wait for its gradient
    assert [name.rsplit(".", 3)[-3:] for name in first["frozen"]] == [
        ["pooler", "dense", "bias"],
        ["pooler", "dense", "weight"],
    ]
    assert first["changed"] == first["trainable"]
