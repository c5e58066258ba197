"""The text adapter through mmcl's engine (tiny model, a few steps), and its views, truncation and batches."""

import json
import logging

import pytest
import torch
import yaml
from accelerate.state import AcceleratorState
from safetensors.torch import load_file
from sentence_transformers import SentenceTransformer

from mmcl.adapter import get_adapter
from mmcl.adapters.text import ColumnMapping, TextDataError, TextDataSource, TextOptions
from mmcl.adapters.text.text_info_nce import TextInfoNCE
from mmcl.adapters.text.text_views import NEGATIVE_TEXT_IDS, SCORES, TEXT_IDS
from mmcl.methods import METHODS
from mmcl.recipe import load_recipe
from mmcl.train import train
from tests.adapters.text.conftest import SENTENCES
from tests.adapters.text.test_data_source import write_csv, write_jsonl

LONG_TEXT = " ".join(["many words"] * 40)


@pytest.fixture(autouse=True)
def _fresh_accelerator_state():
    yield
    AcceleratorState._reset_state(reset_partial_state=True)


@pytest.fixture
def pairs_with_negatives(tmp_path):
    rows = [
        {
            "q": SENTENCES[i],
            "p": SENTENCES[(i + 1) % 16],
            "n": [SENTENCES[(i + 5) % 16], SENTENCES[(i + 9) % 16]],
        }
        for i in range(16)
    ]
    return write_jsonl(tmp_path / "triplets.jsonl", rows)


@pytest.fixture
def sts_file(tmp_path):
    return write_csv(
        tmp_path / "sts.csv", [[SENTENCES[i], SENTENCES[(i * 3 + 1) % 16], str(i % 6)] for i in range(16)]
    )


def run(tmp_path, adapter: dict, method: dict, steps: int = 3, batch_size: int = 4):
    recipe = {
        "adapter": {"name": "text", **adapter},
        "method": method,
        "train": {
            "batch_size": batch_size,
            "max_steps": steps,
            "log_every_n_steps": 1,
            "progress_bar": False,
        },
        "optimizer": {"name": "adamw", "lr": 1e-3},
        "checkpoint": {"every_n_steps": None},
        "output": {"trackers": []},
    }
    path = tmp_path / "recipe.yaml"
    path.write_text(yaml.safe_dump(recipe))
    return train(load_recipe(path, output_dir=tmp_path / "run"))


def test_pairs_with_hard_negatives_train_and_publish(
    tmp_path, tiny_model_dir, pairs_with_negatives, sts_file
):
    adapter = {
        "model": str(tiny_model_dir),
        "max_length": 32,
        "train": [
            {
                "path": str(pairs_with_negatives),
                "columns": {"anchor": "q", "positive": "p", "negatives": ["n"]},
            }
        ],
        "evaluation": [
            {
                "task": "sts",
                "name": "tiny-sts",
                "data": {
                    "path": str(sts_file),
                    "header": False,
                    "columns": {"anchor": 0, "positive": 1, "score": 2},
                },
            }
        ],
    }
    # batch 2: rows of 4 texts out of 16 sentences leave few batches without a repeated text
    folder = run(tmp_path, adapter, {"name": "text-infonce", "temperature": 0.1}, batch_size=2)
    base = load_file(tiny_model_dir / "model.safetensors")
    trained = load_file(folder / "model.safetensors")
    assert any(not torch.equal(base[name], trained[name]) for name in base)  # it did train
    # The evaluation logged at the end is what the published folder gives: the same embeddings.
    rows = [json.loads(line) for line in (folder.parent / "metrics.jsonl").read_text().splitlines()]
    logged = next(row for row in rows if "eval/tiny-sts/spearman" in row)
    adapter_options = load_recipe(folder / "training_recipe.yaml").adapter.options
    metrics = get_adapter("text")(adapter_options).suite(SentenceTransformer(str(folder), device="cpu"))
    assert metrics["tiny-sts/spearman"] == pytest.approx(logged["eval/tiny-sts/spearman"], abs=1e-6)
    report = json.loads((folder / "metrics.json").read_text())
    [(column, baseline)] = report["metrics"]["tiny-sts/spearman"]["baselines"].items()
    assert baseline == pytest.approx(logged[f"eval_baseline/{column}/tiny-sts/spearman"])
    card = (folder / "README.md").read_text()
    assert "tiny-sts/spearman" in card and "sentence-transformers" in card


def test_unsupervised_sentences_with_token_deletion_and_a_queue(tmp_path, tiny_model_dir, caplog):
    path = write_jsonl(tmp_path / "sentences.jsonl", [{"sentence": text} for text in [*SENTENCES, LONG_TEXT]])
    adapter = {
        "model": str(tiny_model_dir),
        "max_length": 16,
        "train": [{"path": str(path), "columns": {"text": "sentence"}}],
        "augmentation": "token-deletion",
    }
    with caplog.at_level(logging.WARNING):
        folder = run(tmp_path, adapter, {"name": "text-moco", "queue_size": 8, "momentum": 0.9}, steps=3)
    assert "2 of 17 training texts (11.8%) are longer than 16 tokens" in caplog.text
    assert SentenceTransformer(str(folder), device="cpu").encode(["a test"]).shape == (1, 32)


def adapter_for(tiny_model_dir, path, columns, **options):
    source = TextDataSource(path=str(path), columns=ColumnMapping(**columns))
    return get_adapter("text")(TextOptions(model=str(tiny_model_dir), train=[source], **options))


def test_truncation_can_stop_before_training(tmp_path, tiny_model_dir):
    path = write_jsonl(tmp_path / "s.jsonl", [{"t": SENTENCES[0]}, {"t": LONG_TEXT}])
    adapter = adapter_for(tiny_model_dir, path, {"text": "t"}, max_length=16, on_truncation="error")
    with pytest.raises(
        TextDataError, match=r"1 of 2 training texts \(50.0%\) are longer than 16 tokens .* by 66.0 tokens"
    ):
        adapter.load_dataset("train")


def test_views_of_pairs_carry_ids_scores_and_negatives(tmp_path, tiny_model_dir):
    rows = [
        {"q": SENTENCES[i], "p": SENTENCES[i + 1], "n": [SENTENCES[i + 2]] * 3, "s": float(i)}
        for i in range(4)
    ]
    path = write_jsonl(tmp_path / "t.jsonl", rows)
    adapter = adapter_for(
        tiny_model_dir, path, {"anchor": "q", "positive": "p", "negatives": ["n"], "score": "s"}
    )
    dataset = adapter.load_dataset("train")
    view_a, view_b = adapter.make_views(adapter.collate([dataset[i] for i in range(4)]))
    assert view_a[TEXT_IDS].shape == (4,) and TEXT_IDS in view_b
    assert view_b[SCORES].tolist() == [0.0, 1.0, 2.0, 3.0]
    assert view_b["negative.input_ids"].shape[:2] == (4, 3) and view_b[NEGATIVE_TEXT_IDS].shape == (4, 3)
    assert SCORES not in view_a


def test_document_spans_are_two_different_windows(tmp_path, tiny_model_dir):
    documents = [" ".join(f"w{i}x{j}" for j in range(60)) for i in range(4)]
    path = write_jsonl(tmp_path / "docs.jsonl", [{"d": d} for d in documents])
    adapter = adapter_for(
        tiny_model_dir,
        path,
        {"text": "d"},
        max_length=12,
        augmentation="document-spans",
        document_max_length=64,
    )
    dataset = adapter.load_dataset("train")
    torch.manual_seed(0)
    view_a, view_b = adapter.make_views(adapter.collate([dataset[i] for i in range(4)]))
    assert view_a["input_ids"].shape == view_b["input_ids"].shape == (4, 12)
    assert not torch.equal(view_a["input_ids"], view_b["input_ids"])
    assert torch.equal(view_a[TEXT_IDS], view_b[TEXT_IDS])


def test_document_spans_need_single_texts(tmp_path):
    path = write_csv(tmp_path / "p.csv", [["q", "p"], ["a", "b"]])
    with pytest.raises(ValueError, match="document-spans takes two spans of one document"):
        TextOptions(
            model="m",
            train=[TextDataSource(path=str(path), columns=ColumnMapping(anchor="q", positive="p"))],
            augmentation="document-spans",
        )


def test_several_sources_must_map_the_same_roles(tmp_path):
    path = write_csv(tmp_path / "p.csv", [["q", "p", "s"], ["a", "b", "1"]])
    pairs = TextDataSource(path=str(path), columns=ColumnMapping(anchor="q", positive="p"))
    scored = TextDataSource(path=str(path), columns=ColumnMapping(anchor="q", positive="p", score="s"))
    with pytest.raises(ValueError, match="every source must map the same roles"):
        TextOptions(model="m", train=[pairs, scored])


def test_batch_sampler_of_the_training_data(tmp_path, tiny_model_dir):
    rows = [{"q": SENTENCES[i % 5], "p": SENTENCES[5 + i]} for i in range(10)]  # anchors repeat every 5 rows
    path = write_jsonl(tmp_path / "p.jsonl", rows)
    adapter = adapter_for(tiny_model_dir, path, {"anchor": "q", "positive": "p"})
    dataset = adapter.load_dataset("train")
    for batch in adapter.batch_sampler(dataset, batch_size=5, seed=0):
        anchors = [dataset[i]["anchor"] for i in batch]
        assert len(set(anchors)) == len(anchors)


@pytest.mark.parametrize("group_by_length", [True, False])
def test_the_engine_trains_on_the_adapters_batches(tmp_path, tiny_model_dir, monkeypatch, group_by_length):
    rows = [{"q": SENTENCES[i % 5], "p": SENTENCES[5 + i]} for i in range(10)]  # anchors repeat every 5 rows
    path = write_jsonl(tmp_path / "p.jsonl", rows)
    seen_anchors = []

    class Recording(TextInfoNCE):
        def forward(self, view_a, view_b):
            seen_anchors.append(view_a[TEXT_IDS].tolist())
            return super().forward(view_a, view_b)

    monkeypatch.setitem(METHODS, "text-infonce-recording", Recording)
    adapter = {"model": str(tiny_model_dir), "group_by_length": group_by_length}
    adapter["train"] = [{"path": str(path), "columns": {"anchor": "q", "positive": "p"}}]
    run(tmp_path, adapter, {"name": "text-infonce-recording"}, steps=4, batch_size=5)
    assert len(seen_anchors) == 4 and all(len(set(ids)) == 5 for ids in seen_anchors)


@pytest.mark.parametrize("name", ["text-pairs", "text-moco", "text-simcse"])
def test_bundled_recipes_validate(name, tiny_model_dir, data_dir):
    recipe = load_recipe(name, [f"adapter.model={tiny_model_dir}"])
    assert recipe.adapter.name == "text" and recipe.method.name.startswith("text-")
