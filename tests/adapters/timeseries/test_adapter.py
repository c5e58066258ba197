"""The ``timeseries`` adapter: views, the ts2vec method, the UCR evaluation, the engine run, bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from torch.utils._python_dispatch import TorchDispatchMode

from mmcl.adapters.timeseries import (
    OverlappingCropPair,
    TimeSeriesAdapter,
    TimeSeriesEncoder,
    TS2VecConfig,
    TS2VecModel,
    ucr_evaluation,
)
from mmcl.adapters.timeseries.adapter import DATA_DIR
from mmcl.adapters.timeseries.read_errors import RecordError
from mmcl.losses import hierarchical_contrastive_loss
from mmcl.methods import build_method
from mmcl.recipe import RecipeError, load_recipe
from mmcl.train import train

UCR = DATA_DIR / "ucr"
TINY_ENCODER = {"hidden_size": 16, "conv_channels": 8, "depth": 2}


def tiny_encoder(seed: int = 0) -> TimeSeriesEncoder:
    torch.manual_seed(seed)
    return TimeSeriesEncoder(TS2VecModel(TS2VecConfig(**TINY_ENCODER)))


def adapter(**options) -> TimeSeriesAdapter:
    return TimeSeriesAdapter(TimeSeriesAdapter.Options(encoder_config=TINY_ENCODER, **options))


def test_ts2vec_loss_is_the_hierarchical_loss_on_the_hand_computed_overlap() -> None:
    views_adapter = adapter(mask_ratio=0.0)
    batch = torch.randn(6, 1, 40)
    torch.manual_seed(3)
    view_a, view_b = views_adapter.make_views(batch)
    torch.manual_seed(3)
    crops = OverlappingCropPair()(batch)  # the same draw, by hand
    start, length = crops.first_overlap_start, crops.overlap_length
    rows = torch.arange(6)[:, None]
    original = batch[rows, 0, crops.overlap_start[:, None] + torch.arange(length)]
    torch.testing.assert_close(view_a["input_values"][:, 0, start : start + length], original)
    torch.testing.assert_close(view_b["input_values"][:, 0, :length], original)

    encoder = tiny_encoder().eval()  # no dropout: the two computations see the same representation
    loss, _ = build_method("ts2vec", encoder, 16)(view_a, view_b)
    z_a = encoder.model(crops.first).last_hidden_state[:, start : start + length]
    z_b = encoder.model(crops.second).last_hidden_state[:, :length]
    torch.testing.assert_close(loss, hierarchical_contrastive_loss(z_a, z_b))


def test_crops_are_masked_per_timestamp_independently() -> None:
    torch.manual_seed(0)
    view_a, view_b = adapter(mask_ratio=0.5).make_views(torch.randn(64, 1, 200) + 10.0)
    masked_a = (view_a["input_values"] == 0).float().mean().item()
    assert 0.4 < masked_a < 0.6
    assert not torch.equal(
        view_a["input_values"] == 0, view_b["input_values"][:, :, : view_a["input_values"].shape[2]] == 0
    )


class _CountOps(TorchDispatchMode):
    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        self.calls += 1
        return func(*args, **(kwargs or {}))


@pytest.mark.parametrize("views", ["overlapping-crops", "ecg", "finance"])
def test_views_are_batched_the_same_ops_for_any_batch_size(views: str) -> None:
    views_adapter = adapter(views=views)
    counts = []
    for batch_size in (4, 64):
        torch.manual_seed(0)
        with _CountOps() as counter:
            views_adapter.make_views(torch.randn(batch_size, 1, 128))
        counts.append(counter.calls)
    assert counts[0] == counts[1]  # a per-sample loop would issue 16x the operations


def test_ucr_evaluation_matches_scikit_learn_on_the_same_features() -> None:
    encoder, random_init = tiny_encoder(0).eval(), tiny_encoder(1).eval()
    files = [(str(UCR / "ECG200_TRAIN.tsv"), str(UCR / "ECG200_TEST.tsv"))]
    report = ucr_evaluation(
        encoder, random_init, files, torch.device("cpu"), fractions=(0.1, 1.0), seeds=(0,), standardize=True
    )

    def table(path: Path) -> tuple[np.ndarray, np.ndarray]:
        values = np.loadtxt(path, delimiter="\t")
        return values[:, 1:], (values[:, 0] > 0).astype(int)  # ECG200 labels: -1, 1

    (train_x, train_y), (test_x, test_y) = table(UCR / "ECG200_TRAIN.tsv"), table(UCR / "ECG200_TEST.tsv")

    def svm_accuracy(train_features: np.ndarray, test_features: np.ndarray) -> float:
        scaler = StandardScaler().fit(train_features)
        train_features, test_features = scaler.transform(train_features), scaler.transform(test_features)
        search = GridSearchCV(
            SVC(kernel="rbf", gamma="scale"),
            {"C": [10.0**p for p in range(-4, 5)]},
            cv=StratifiedKFold(5),
        ).fit(train_features, train_y)
        return float(search.score(test_features, test_y))

    def features(model: TimeSeriesEncoder, x: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return model.model(torch.tensor(x[:, None], dtype=torch.float32)).pooler_output.double().numpy()

    metrics = report.metrics
    assert metrics["ECG200/svm_accuracy"].model == pytest.approx(
        svm_accuracy(features(encoder, train_x), features(encoder, test_x))
    )
    assert metrics["ECG200/svm_accuracy"].baselines["random init"] == pytest.approx(
        svm_accuracy(features(random_init, train_x), features(random_init, test_x))
    )
    assert metrics["ECG200/svm_accuracy"].baselines["raw series"] == pytest.approx(
        svm_accuracy(train_x, test_x)
    )
    assert "ECG200/svm_accuracy@10%labels" in metrics and "ECG200/svm_accuracy@100%labels" not in metrics


def test_training_data_are_windows_of_the_training_splits_only() -> None:
    dataset = adapter(window_length=64, window_stride=16).load_dataset("train")
    # ECG200 (100 x 96): 3 windows each; TwoLeadECG (23 x 82): 2; ECG5000 (500 x 140): 5.
    assert len(dataset) == 100 * 3 + 23 * 2 + 500 * 5
    train_rows = np.loadtxt(UCR / "ECG200_TRAIN.tsv", delimiter="\t")[:, 1:]
    np.testing.assert_allclose(dataset[1]["signal"][0], train_rows[0, 16:80], rtol=0, atol=1e-6)


def tiny_recipe(tmp_path: Path, *extra: str):
    return load_recipe(
        "ecg-pretrain",
        [
            "adapter.encoder_config={hidden_size: 16, conv_channels: 8, depth: 2}",
            f"adapter.ucr_files=[{UCR / 'TwoLeadECG_TRAIN.tsv'}]",
            f"adapter.ucr_evaluation_sets=[[{UCR / 'ECG200_TRAIN.tsv'}, {UCR / 'ECG200_TEST.tsv'}]]",
            "adapter.label_seeds=[0]",
            "train.max_steps=3",
            "adapter.source_group_size=8",
            "train.batch_size=1",
            "train.progress_bar=false",
            f"output.dir={tmp_path / 'run'}",
            "output.trackers=[]",
            *extra,
        ],
    )


LOAD_WITHOUT_MMCL = textwrap.dedent(
    """
    import sys
    import numpy as np
    import torch
    from transformers import AutoModel

    try:
        import mmcl  # noqa: F401
    except ImportError:
        pass
    else:
        raise SystemExit("mmcl is importable; the check would not show anything")
    model = AutoModel.from_pretrained(sys.argv[1], trust_remote_code=True).eval()
    with torch.no_grad():
        np.save(sys.argv[3], model(torch.from_numpy(np.load(sys.argv[2]))).pooler_output.numpy())
    """
)


def test_engine_run_writes_a_model_folder_that_loads_without_mmcl(tmp_path: Path) -> None:
    folder = train(tiny_recipe(tmp_path))
    names = {path.name for path in folder.iterdir()}
    assert {"config.json", "model.safetensors", "modeling_ts2vec.py", "README.md", "metrics.json"} <= names
    assert {"label_efficiency_ECG200.png", "embedding_map_ECG200.png", "training_curves.png"} <= names
    metrics = json.loads((folder / "metrics.json").read_text())["metrics"]
    assert set(metrics) == {"ECG200/svm_accuracy", "ECG200/svm_accuracy@10%labels"}
    assert all(set(row["baselines"]) == {"random init", "raw series"} for row in metrics.values())
    assert "Evaluated on ECG200_TEST with frozen embeddings" in (folder / "README.md").read_text()

    series = np.loadtxt(UCR / "ECG200_TEST.tsv", delimiter="\t")[:16, None, 1:].astype(np.float32)
    np.save(tmp_path / "series.npy", series)
    encoder = TimeSeriesAdapter(TimeSeriesAdapter.Options()).load_encoder(folder).eval()
    with torch.no_grad():
        expected = encoder(torch.from_numpy(series)).numpy()
    script = tmp_path / "load.py"
    script.write_text(LOAD_WITHOUT_MMCL)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin"),
        "PYTHONPATH": sysconfig.get_paths()["purelib"],  # -S: no site.py, so no editable-install hook
        "PYTHONNOUSERSITE": "1",
        "HF_HOME": str(tmp_path / "hf_home"),
        "HF_HUB_OFFLINE": "1",
        "OMP_NUM_THREADS": "1",
    }
    result = subprocess.run(
        [sys.executable, "-S", str(script), str(folder), str(tmp_path / "series.npy"), str(tmp_path / "out.npy")],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    np.testing.assert_allclose(np.load(tmp_path / "out.npy"), expected, atol=1e-5, rtol=0)


def test_series_shorter_than_the_window_names_the_row_and_the_fix(tmp_path: Path) -> None:
    recipe = tiny_recipe(tmp_path, "adapter.window_length=90")  # TwoLeadECG series have 82 samples
    # The engine reports the reader's error as a recipe problem (RecipeError) or passes it on (RecordError).
    with pytest.raises(
        (RecordError, RecipeError), match=r"TwoLeadECG_TRAIN.tsv:\d+: 82 samples .*window_length=90"
    ):
        train(recipe)


def test_short_series_skipped_on_request_and_counted(capsys: pytest.CaptureFixture[str]) -> None:
    ecg200, two_lead = str(UCR / "ECG200_TRAIN.tsv"), str(UCR / "TwoLeadECG_TRAIN.tsv")
    dataset = adapter(ucr_files=[ecg200, two_lead], window_length=90, on_error="skip").load_dataset("train")
    assert len(dataset) == 100 * 1  # ECG200's 96-sample series give one window each; TwoLeadECG's are skipped
    assert "'too_short': 23" in capsys.readouterr().out


def write_record(folder: Path, name: str, rate: float) -> str:
    import wfdb

    signal = np.random.default_rng(0).normal(size=(1, int(rate * 4)))
    wfdb.wrsamp(
        name, fs=rate, units=["mV"], sig_name=["II"], p_signal=signal.T, fmt=["16"], write_dir=str(folder)
    )
    return str(folder / name)


def test_mixed_sampling_rates_need_a_target_rate(tmp_path: Path) -> None:
    records = [write_record(tmp_path, "a", 100), write_record(tmp_path, "b", 250)]
    with pytest.raises(Exception, match="target_rate") as error:
        adapter(ucr_files=[], wfdb_records=records).load_dataset("train")
    assert "a" in str(error.value) or "b" in str(error.value)
    dataset = adapter(ucr_files=[], wfdb_records=records, target_rate=100).load_dataset("train")
    assert len(dataset) == 2 * ((400 - 64) // 16 + 1)  # 4 s at 100 Hz each


def test_evaluation_file_without_labels_names_the_file(tmp_path: Path) -> None:
    unlabelled = tmp_path / "Unlabelled_TEST.ts"
    rows = "\n".join(",".join(str(v) for v in np.random.default_rng(i).normal(size=96)) for i in range(5))
    unlabelled.write_text(
        f"@problemName x\n@univariate true\n@equalLength true\n@seriesLength 96\n@classLabel false\n@data\n{rows}\n"
    )
    files = [(str(UCR / "ECG200_TRAIN.tsv"), str(unlabelled))]
    with pytest.raises(ValueError, match=r"Unlabelled_TEST.ts: has no label column"):
        ucr_evaluation(tiny_encoder(), tiny_encoder(1), files, torch.device("cpu"))


@pytest.mark.slow
def test_main_job_runs_end_to_end_and_beats_the_raw_1nn_floor(tmp_path: Path) -> None:
    folder = train(
        load_recipe("ecg-pretrain", [f"output.dir={tmp_path / 'run'}", "train.progress_bar=false"])
    )
    metrics = json.loads((folder / "metrics.json").read_text())["metrics"]
    assert {"README.md", "config.json", "model.safetensors", "modeling_ts2vec.py"} <= {
        p.name for p in folder.iterdir()
    }
    assert metrics["ECG200/svm_accuracy"]["model"] > 0.85  # the raw 1-NN floors: 0.880 and 0.747
    assert metrics["TwoLeadECG/svm_accuracy"]["model"] > 0.9
