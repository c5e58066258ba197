import json

import numpy as np
import pytest
import torch
from matplotlib.image import imread

from mmcl.evaluation import LabelEfficiencyCurve
from mmcl.plots import plot_embedding_map, plot_label_efficiency, plot_training_curves

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _assert_png(path):
    data = path.read_bytes()
    assert data.startswith(PNG_SIGNATURE)
    image = imread(path)
    assert image.shape[0] > 100 and image.shape[1] > 100
    assert image[..., :3].std() > 0  # something was drawn
    assert [p.name for p in path.parent.iterdir() if p.name.endswith(".partial")] == []


@pytest.fixture
def log_file(tmp_path):
    rows = [
        {"step": step, "loss": 5.0 / step, "lr": 1e-3 * min(1.0, step / 5), "time": 0.0}
        for step in range(1, 21)
    ]
    rows.insert(10, {"step": 10, "knn_top1": 0.5})  # an evaluation row without loss / lr
    path = tmp_path / "metrics.jsonl"
    path.write_text("\n".join(json.dumps(row) for row in rows) + "\n\n")
    return path


def test_training_curves_png(tmp_path, log_file):
    output = plot_training_curves(log_file, tmp_path / "plots" / "curves.png")
    assert output == tmp_path / "plots" / "curves.png"
    _assert_png(output)


def test_training_curves_reject_a_missing_key_and_bad_lines(tmp_path, log_file):
    with pytest.raises(ValueError, match="no line has both 'step' and a number under 'grad_norm'"):
        plot_training_curves(log_file, tmp_path / "c.png", keys=("loss", "grad_norm"))
    log_file.write_text('{"step": 1, "loss": 2.0, "lr": 0.1}\n{"step": 2, "loss"\n')
    with pytest.raises(ValueError, match=r"metrics\.jsonl, line 2: not valid JSON"):
        plot_training_curves(log_file, tmp_path / "c.png")
    assert not (tmp_path / "c.png").exists()


def _curve(accuracies):
    return LabelEfficiencyCurve(
        probe="linear",
        fractions=(0.01, 0.1, 1.0),
        seeds=(0, 1),
        train_rows=(9, 90, 900),
        accuracies=np.asarray(accuracies),
    )


def test_label_efficiency_png(tmp_path):
    model = _curve([[0.6, 0.64], [0.8, 0.82], [0.9, 0.9]])
    baseline = _curve([[0.3, 0.35], [0.5, 0.48], [0.6, 0.6]])
    output = plot_label_efficiency(
        model, baseline, tmp_path / "label_efficiency.png", baseline_name="raw features"
    )
    _assert_png(output)


@pytest.mark.parametrize("method", ["pca", "tsne"])
def test_embedding_map_png(tmp_path, method):
    rng = np.random.default_rng(0)
    labels = np.arange(60) % 3
    embeddings = torch.from_numpy(rng.normal(size=(3, 10))[labels] + 0.3 * rng.normal(size=(60, 10)))
    _assert_png(
        plot_embedding_map(embeddings, labels, tmp_path / f"{method}.png", method=method, max_points=50)
    )


def test_embedding_map_rejects_bad_input(tmp_path):
    with pytest.raises(ValueError, match="method must be 'pca' or 'tsne'"):
        plot_embedding_map(np.ones((5, 3)), [0, 1, 0, 1, 0], tmp_path / "m.png", method="umap")
    with pytest.raises(ValueError, match="labels has 4 entries but the embeddings have 5 rows"):
        plot_embedding_map(np.ones((5, 3)), [0, 1, 0, 1], tmp_path / "m.png")
    with pytest.raises(ValueError, match="at least 3 rows and 2 dimensions"):
        plot_embedding_map(np.ones((5, 1)), [0, 1, 0, 1, 0], tmp_path / "m.png")
