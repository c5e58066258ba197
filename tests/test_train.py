"""The training loop end to end, on the tiny ``vectors`` adapter (CPU).

In-process runs check what one run writes (metrics, checkpoints, model folder) against independent
arithmetic: queue pointer and EMA step counts, the learning rates of ``transformers``' schedules. Runs in fresh
processes check resume after SIGKILL (exact same final weights, EMA target, queue and optimizer state) with
one and with two processes.
"""

import json

import pytest
import torch
import transformers
from accelerate.state import AcceleratorState
from safetensors.torch import load_file

from mmcl.evaluation import EvaluationReport
from mmcl.recipe import RecipeError, load_recipe
from mmcl.train import train
from tests.fixtures import TINY_BYOL, TINY_MOCO
from tests.fixtures.runs import assert_same_state, check, final_state, run_mmcl
from tests.fixtures.vectors_adapter import VectorsAdapter


@pytest.fixture(autouse=True)
def _fresh_accelerator_state():
    yield
    AcceleratorState._reset_state(reset_partial_state=True)


def _rows(run_dir):
    return [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]


@pytest.fixture(scope="module")
def moco_run(tmp_path_factory):
    """tiny_moco with 2 micro-batches per optimizer step: 12 steps x 2 x 32 examples."""
    run_dir = tmp_path_factory.mktemp("moco")
    recipe = load_recipe(TINY_MOCO, ["train.gradient_accumulation_steps=2"], output_dir=run_dir)
    model_folder = train(recipe)
    AcceleratorState._reset_state(reset_partial_state=True)
    return run_dir, model_folder


def test_metrics_jsonl_has_a_row_every_log_interval_and_evaluation_rows(moco_run):
    run_dir, _ = moco_run
    rows = _rows(run_dir)
    training = [row for row in rows if "loss" in row]
    assert [row["step"] for row in training] == [2, 4, 6, 8, 10, 12]
    for row in training:
        assert {"step", "loss", "lr", "samples_per_second", "epoch", "samples"} <= set(row)
        assert row["samples"] == row["step"] * 64 and row["samples_per_second"] > 0
        assert torch.isfinite(torch.tensor(row["loss"]))
    evaluations = [row for row in rows if "eval/knn_accuracy" in row]
    assert [row["step"] for row in evaluations] == [6, 12]
    assert all(0.1 < row["eval/knn_accuracy"] <= 1.0 for row in evaluations)


def test_logged_learning_rates_follow_transformers_cosine_schedule(moco_run):
    run_dir, _ = moco_run
    parameter = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([parameter], lr=0.05)
    reference = transformers.get_cosine_schedule_with_warmup(
        optimizer, num_warmup_steps=2, num_training_steps=12
    )
    expected = {}
    for step in range(1, 13):
        optimizer.step()
        reference.step()
        expected[step] = reference.get_last_lr()[0]
    for row in (row for row in _rows(run_dir) if "lr" in row):
        assert row["lr"] == pytest.approx(expected[row["step"]], abs=1e-12)


def test_queue_and_ema_are_updated_once_per_optimizer_step(moco_run):
    run_dir, _ = moco_run
    state = load_file(run_dir / "checkpoints" / "checkpoint-00000012" / "model.safetensors")
    keys_enqueued = 12 * 2 * 32  # every micro-batch's keys, enqueued at the end of its step
    assert int(state["queue.pointer"]) == keys_enqueued % 100
    assert int(state["queue.filled"]) == 100
    assert int(state["key_encoder.last_step"]) == 11  # 0-based index of the 12th optimizer step


def test_keeps_the_newest_checkpoints_and_writes_the_model_folder(moco_run):
    run_dir, model_folder = moco_run
    names = sorted(p.name for p in (run_dir / "checkpoints").iterdir())
    assert names == ["checkpoint-00000008", "checkpoint-00000012"]  # keep_last: 2
    assert sorted(p.name for p in model_folder.iterdir()) == [
        "config.json",
        "metrics.json",
        "model.safetensors",
        "training_curves.png",
        "training_recipe.yaml",
    ]  # no README.md: the vectors adapter names no modality, so no model card
    report = EvaluationReport.read_json(model_folder / "metrics.json")
    assert report.baselines == ("raw features",) and "knn_accuracy" in report.metrics
    assert (model_folder / "training_curves.png").read_bytes().startswith(b"\x89PNG")
    encoder = load_file(model_folder / "model.safetensors")
    method = load_file(run_dir / "checkpoints" / "checkpoint-00000012" / "model.safetensors")
    assert encoder.keys() == {k.removeprefix("encoder.") for k in method if k.startswith("encoder.")}
    for key, value in encoder.items():
        assert torch.equal(value, method[f"encoder.{key}"])
    saved_recipe = load_recipe(model_folder / "training_recipe.yaml")
    assert saved_recipe.train.gradient_accumulation_steps == 2 and saved_recipe.method.name == "moco"


def test_epochs_set_the_run_length_from_the_data(tmp_path):
    overrides = ["train.max_steps=null", "train.epochs=1", "train.batch_size=256", "evaluation.at_end=false"]
    train(load_recipe(TINY_MOCO, overrides, output_dir=tmp_path))
    # 1797 digits - 300 held out = 1497 examples: 5 full batches of 256 in one epoch
    assert max(row["step"] for row in _rows(tmp_path)) == 1497 // 256


def test_streaming_dataset_trains_by_max_steps_across_epochs(tmp_path):
    overrides = [
        "adapter.streaming=true",
        "train.batch_size=256",
        "train.max_steps=7",
        "evaluation.at_end=false",
    ]
    train(load_recipe(TINY_MOCO, overrides, output_dir=tmp_path))
    rows = [row for row in _rows(tmp_path) if "loss" in row]
    assert rows[-1]["step"] == 7 and rows[-1]["epoch"] == 1  # 5 batches per pass: the stream restarted


def test_bf16_mixed_precision_trains(tmp_path):
    overrides = ["train.mixed_precision=bf16", "evaluation.at_end=false", "checkpoint.every_n_steps=null"]
    train(load_recipe(TINY_BYOL, overrides, output_dir=tmp_path))
    losses = [row["loss"] for row in _rows(tmp_path) if "loss" in row]
    assert len(losses) == 10 and all(torch.isfinite(torch.tensor(losses)))


@pytest.mark.parametrize(
    ("overrides", "key"),
    [
        (["adapter.streaming=true", "train.max_steps=null", "train.epochs=1"], "train.epochs"),
        (["schedule.warmup_steps=50"], "schedule.warmup_steps"),
        (["train.batch_size=5000"], "train.batch_size"),
    ],
)
def test_recipe_problems_found_with_the_data_stop_before_any_model_is_built(tmp_path, overrides, key):
    built = VectorsAdapter.encoders_built
    with pytest.raises(RecipeError, match=key):
        train(load_recipe(TINY_MOCO, overrides, output_dir=tmp_path))
    assert VectorsAdapter.encoders_built == built


def test_a_run_folder_with_checkpoints_needs_resume(tmp_path):
    recipe = load_recipe(TINY_BYOL, ["train.max_steps=3", "evaluation.at_end=false"], output_dir=tmp_path)
    train(recipe)
    AcceleratorState._reset_state(reset_partial_state=True)
    with pytest.raises(RecipeError, match="--resume"):
        train(recipe)


def _resume_after_sigkill(tmp_path, recipe, kill_at_views, processes, reference=None):
    """Final state of an uninterrupted run and of a run SIGKILLed at its ``kill_at_views``-th views, then
    resumed."""
    if reference is None:
        reference = tmp_path / "uninterrupted"
        check(run_mmcl("train", str(recipe), "--output-dir", str(reference), processes=processes))
    interrupted = tmp_path / "interrupted"
    killed = run_mmcl(
        "train", str(recipe), "--output-dir", str(interrupted), processes=processes,
        env={"VECTORS_KILL_AT_BATCH": str(kill_at_views)},
    )  # fmt: skip
    assert killed.returncode != 0
    assert not (interrupted / "model").exists()
    check(run_mmcl("train", str(recipe), "--output-dir", str(interrupted), "--resume", processes=processes))
    return reference, interrupted


def test_resume_after_sigkill_ends_with_the_uninterrupted_weights(tmp_path):
    # BYOL, AdamW, 2 micro-batches per step, checkpoints at 3, 6, 9: killed in step 8 (15th views)
    reference, resumed = _resume_after_sigkill(tmp_path, TINY_BYOL, kill_at_views=15, processes=1)
    assert_same_state(final_state(reference), final_state(resumed))
    assert [r["loss"] for r in _rows(reference) if "loss" in r] == [
        r["loss"] for r in _rows(resumed) if "loss" in r
    ]


@pytest.fixture(scope="module")
def two_process_run(tmp_path_factory):
    """tiny_moco on 2 processes (torchrun, gloo), each dumping its final encoder weights."""
    run_dir = tmp_path_factory.mktemp("two_processes")
    dumps = tmp_path_factory.mktemp("dumps")
    check(
        run_mmcl(
            "train",
            str(TINY_MOCO),
            "--output-dir",
            str(run_dir),
            processes=2,
            env={"VECTORS_DUMP_DIR": str(dumps)},
        )
    )
    return run_dir, dumps


@pytest.mark.distributed
def test_two_processes_train_log_checkpoint_and_agree_on_the_final_weights(two_process_run):
    run_dir, dumps = two_process_run
    rows = [row for row in _rows(run_dir) if "loss" in row]
    assert rows[-1]["step"] == 12 and rows[-1]["samples"] == 12 * 32 * 2
    checkpoint = run_dir / "checkpoints" / "checkpoint-00000012"
    assert {"process-00000.json", "process-00001.json", "model.safetensors"} <= {
        p.name for p in checkpoint.iterdir()
    }
    assert json.loads((checkpoint / "trainer_state.json").read_text())["world_size"] == 2
    rank0, rank1 = load_file(dumps / "rank0.safetensors"), load_file(dumps / "rank1.safetensors")
    saved = load_file(run_dir / "model" / "model.safetensors")
    for key in saved:
        assert torch.equal(rank0[key], rank1[key]) and torch.equal(rank0[key], saved[key]), key
    queue = load_file(checkpoint / "model.safetensors")
    assert int(queue["queue.pointer"]) == (12 * 32 * 2) % 100  # both processes' keys enqueued


@pytest.mark.distributed
@pytest.mark.slow
def test_two_processes_resume_after_sigkill_ends_with_the_uninterrupted_weights(tmp_path, two_process_run):
    # MoCo v2 (queue + EMA key encoder + shuffled BatchNorm), SGD; checkpoints at 4, 8: killed in step 11
    reference, resumed = _resume_after_sigkill(
        tmp_path, TINY_MOCO, kill_at_views=11, processes=2, reference=two_process_run[0]
    )
    assert_same_state(final_state(reference), final_state(resumed))
