"""The generated model card parses as Hub metadata, holds the run's metrics next to their baseline, and is
written atomically."""

from __future__ import annotations

import os
import struct
import zlib
from pathlib import Path

import pytest
from huggingface_hub import ModelCard, metadata_load

from mmcl.model_card import CITATIONS, ModelCardError, check_model_card, write_model_card

METRICS = {"knn_top1": 0.8312, "linear_probe_top1": 0.8875}
BASELINE = {"knn_top1": 0.4211, "linear_probe_top1": 0.5034}
RAW_PIXELS = {"knn_top1": 0.3912}


def tiny_png(path: Path) -> Path:
    """A valid 1x1 grey PNG, written without any imaging library."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\x80"))
        + chunk(b"IEND", b"")
    )
    return path


def write_image_card(folder: Path, **overrides) -> Path:
    arguments = {
        "modality": "image",
        "method": "simclr",
        "repo_id": "alice/resnet-simclr",
        "base_model": "microsoft/resnet-18",
        "datasets": ["uoft-cs/cifar10"],
        "metrics": METRICS,
        "baseline_metrics": {"Random-init encoder": BASELINE, "Raw pixels": RAW_PIXELS},
        "recipe": {"adapter": {"name": "image"}, "method": {"name": "simclr", "temperature": 0.2}},
    }
    return write_model_card(folder, **{**arguments, **overrides})


def test_metadata_parses_and_holds_the_run(tmp_path: Path) -> None:
    readme = write_image_card(tmp_path)
    metadata = metadata_load(readme)
    assert metadata["library_name"] == "mmcl"
    assert metadata["pipeline_tag"] == "feature-extraction"
    assert metadata["base_model"] == "microsoft/resnet-18"
    assert metadata["datasets"] == ["uoft-cs/cifar10"]
    assert {"mmcl", "image", "simclr"} <= set(metadata["tags"])
    assert "sentence-transformers" not in metadata["tags"]

    results = ModelCard.load(readme).data.eval_results
    assert [(r.metric_type, r.metric_value) for r in results] == list(METRICS.items())
    assert {(r.task_type, r.dataset_type, r.dataset_name) for r in results} == {
        ("feature-extraction", "uoft-cs/cifar10", "uoft-cs/cifar10")
    }
    assert metadata["model-index"][0]["name"] == "alice/resnet-simclr"


def test_evaluation_table_puts_the_baseline_next_to_every_metric(tmp_path: Path) -> None:
    text = write_image_card(tmp_path).read_text()
    assert "| Metric | This model | Random-init encoder | Raw pixels |" in text
    assert "| knn_top1 | 0.8312 | 0.4211 | 0.3912 |" in text
    assert "| linear_probe_top1 | 0.8875 | 0.5034 | — |" in text


def test_metric_without_baseline_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"\['linear_probe_top1'\] have no baseline"):
        write_image_card(tmp_path, baseline_metrics={"Random-init encoder": {"knn_top1": 0.4}})
    with pytest.raises(ValueError, match=r"\['recall@1'\] are not in metrics"):
        write_image_card(tmp_path, baseline_metrics={"Raw pixels": {**BASELINE, "recall@1": 0.1}})
    with pytest.raises(ValueError, match=r"metrics\['knn_top1'\] must be a finite number"):
        write_image_card(tmp_path, metrics={**METRICS, "knn_top1": float("nan")})
    with pytest.raises(ValueError, match=r"baseline_metrics\['Raw pixels'\]\['knn_top1'\] must be a finite"):
        write_image_card(
            tmp_path, baseline_metrics={"Random-init encoder": BASELINE, "Raw pixels": {"knn_top1": None}}
        )
    with pytest.raises(
        ValueError, match=r"baseline_metrics\['knn_top1'\] is 0.4; baseline_metrics maps each"
    ):
        write_image_card(tmp_path, baseline_metrics={"knn_top1": 0.4})
    assert not (tmp_path / "README.md").exists()


def test_evaluation_dataset_is_named_when_it_cannot_be_inferred(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="evaluation_dataset"):
        write_image_card(tmp_path, datasets=["a", "b"])
    readme = write_image_card(tmp_path, datasets=["a", "b"], evaluation_dataset="b")
    assert {r.dataset_name for r in ModelCard.load(readme).data.eval_results} == {"b"}


def test_without_metrics_the_card_has_no_model_index(tmp_path: Path) -> None:
    readme = write_image_card(tmp_path, metrics={}, baseline_metrics={}, datasets=["a", "b"])
    assert "model-index" not in metadata_load(readme)
    assert "not been evaluated" in readme.read_text()


@pytest.mark.parametrize(
    ("modality", "lines"),
    [
        (
            "timeseries",
            [
                "from transformers import AutoModel",
                'model = AutoModel.from_pretrained("alice/enc", trust_remote_code=True)',
            ],
        ),
        (
            "text",
            [
                "from sentence_transformers import SentenceTransformer",
                'model = SentenceTransformer("alice/enc")',
            ],
        ),
        (
            "image",
            [
                "from transformers import AutoImageProcessor, AutoModel",
                'AutoImageProcessor.from_pretrained("alice/enc")',
            ],
        ),
    ],
)
def test_load_snippet_is_three_lines_for_the_modality(
    tmp_path: Path, modality: str, lines: list[str]
) -> None:
    text = write_image_card(tmp_path, modality=modality, repo_id="alice/enc").read_text()
    snippet = text.split("```python\n")[1].split("```")[0]
    assert len(snippet.strip().splitlines()) == 3
    for line in lines:
        assert line in snippet


def test_text_models_are_tagged_for_sentence_transformers(tmp_path: Path) -> None:
    metadata = metadata_load(write_image_card(tmp_path, modality="text"))
    assert metadata["library_name"] == "mmcl"
    assert {"text", "sentence-transformers"} <= set(metadata["tags"])


def test_recipe_is_shown_as_yaml(tmp_path: Path) -> None:
    text = write_image_card(tmp_path).read_text()
    assert "```yaml\nadapter:\n  name: image\nmethod:\n  name: simclr\n  temperature: 0.2\n```" in text
    with pytest.raises(ValueError, match="plain YAML values"):
        write_image_card(tmp_path, recipe={"output": Path("runs")})


@pytest.mark.parametrize(
    ("method", "key", "tag"),
    [
        ("simclr", "chen2020simple", "simclr"),
        ("moco-v2", "chen2020improved", "moco-v2"),
        ("MoCo_v3", "chen2021empirical", "moco-v3"),
        ("byol", "grill2020bootstrap", "byol"),
        ("ts2vec", "yue2022ts2vec", "ts2vec"),
    ],
)
def test_builtin_methods_cite_their_paper(tmp_path: Path, method: str, key: str, tag: str) -> None:
    readme = write_image_card(tmp_path, method=method)
    assert (
        f"```bibtex\n@{'article' if key == 'chen2020improved' else 'inproceedings'}{{{key},"
        in readme.read_text()
    )
    assert tag in metadata_load(readme)["tags"]


def test_other_methods_pass_their_citation_through(tmp_path: Path) -> None:
    bibtex = "@misc{me2025,\n  title = {My method}\n}"
    text = write_image_card(tmp_path, method="my-method", citation=bibtex).read_text()
    assert f"```bibtex\n{bibtex}\n```" in text
    assert "## Citation" not in write_image_card(tmp_path, method="my-method").read_text()
    assert all(entry.startswith("@") for entry in CITATIONS.values())


def test_loss_curve_is_copied_in_and_shown_by_relative_path(tmp_path: Path) -> None:
    folder = tmp_path / "model"
    folder.mkdir()
    png = tiny_png(tmp_path / "curve.png")
    text = write_image_card(folder, loss_curve_png=png).read_text()
    assert "![Training loss curve](loss_curve.png)" in text
    assert (folder / "loss_curve.png").read_bytes() == png.read_bytes()

    (folder / "plots").mkdir()
    inside = tiny_png(folder / "plots" / "loss.png")
    assert (
        "![Training loss curve](plots/loss.png)"
        in write_image_card(folder, loss_curve_png=inside).read_text()
    )

    (tmp_path / "not.png").write_text("text")
    with pytest.raises(ValueError, match="is not a PNG file"):
        write_image_card(folder, loss_curve_png=tmp_path / "not.png")


def test_custom_load_snippet_replaces_the_default(tmp_path: Path) -> None:
    text = write_image_card(tmp_path, load_snippet="import mymodel\nmodel = mymodel.load()").read_text()
    assert "```python\nimport mymodel\nmodel = mymodel.load()\n```" in text


def test_unknown_modality_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="modality must be one of"):
        write_image_card(tmp_path, modality="audio")


def test_a_crash_while_writing_leaves_the_old_card(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    old = write_image_card(tmp_path).read_text()

    def fail(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        write_image_card(
            tmp_path, metrics={"knn_top1": 0.9}, baseline_metrics={"Raw pixels": {"knn_top1": 0.1}}
        )
    assert (tmp_path / "README.md").read_text() == old
    assert sorted(path.name for path in tmp_path.iterdir()) == ["README.md"]


def test_check_model_card_explains_what_is_wrong(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    with pytest.raises(ModelCardError, match="missing; write the model card"):
        check_model_card(readme)
    readme.write_text("# A model\n")
    with pytest.raises(ModelCardError, match="no YAML metadata block"):
        check_model_card(readme)
    readme.write_text("---\ntags: [a\n---\n")
    with pytest.raises(ModelCardError, match="does not parse as Hub metadata"):
        check_model_card(readme)
    readme.write_text("---\nmodel-index: 5\n---\n")
    with pytest.raises(ModelCardError, match="does not parse as Hub metadata"):
        check_model_card(readme)
    assert check_model_card(write_image_card(tmp_path)).data.library_name == "mmcl"
