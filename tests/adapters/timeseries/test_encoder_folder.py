"""Saved encoder folders load with plain transformers: in-process via the Auto registration, and in a
Python where mmcl cannot be imported via the copied modeling file (``trust_remote_code=True``)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from transformers import AutoModel
from transformers.dynamic_module_utils import get_imports

from mmcl.adapters.timeseries import (
    PatchTransformerConfig,
    PatchTransformerModel,
    ResNet1dConfig,
    ResNet1dModel,
    TS2VecConfig,
    TS2VecModel,
)
from mmcl.hub import save_encoder
from tests.fixtures.without_mmcl import outputs_without_mmcl


def trained_tiny_models() -> dict[str, torch.nn.Module]:
    """Tiny encoders whose weights and BatchNorm statistics differ from a fresh initialisation."""
    torch.manual_seed(0)
    models = {
        "ts2vec": TS2VecModel(TS2VecConfig(num_leads=2, hidden_size=8, conv_channels=4, depth=2)),
        "resnet1d": ResNet1dModel(
            ResNet1dConfig(num_leads=2, stem_channels=4, hidden_sizes=[4, 8], depths=[1, 1])
        ),
        "patch": PatchTransformerModel(
            PatchTransformerConfig(num_leads=2, patch_size=5, hidden_size=8, num_layers=1, num_heads=2)
        ),
    }
    for model in models.values():
        model.train()
        with torch.no_grad():
            for parameter in model.parameters():
                parameter.add_(0.1 * torch.randn_like(parameter))
            model(torch.randn(4, 2, 60) * 3 + 1)  # moves BatchNorm running statistics
        model.eval()
    return models


def test_folder_has_weights_modeling_file_and_auto_map(tmp_path: Path) -> None:
    model = trained_tiny_models()["ts2vec"]
    folder = save_encoder(model, tmp_path / "encoder")
    assert sorted(path.name for path in folder.iterdir()) == [
        "config.json",
        "model.safetensors",
        "modeling_ts2vec.py",
    ]
    config = json.loads((folder / "config.json").read_text())
    assert config["model_type"] == "mmcl_ts2vec"
    assert config["auto_map"] == {
        "AutoConfig": "modeling_ts2vec.TS2VecConfig",
        "AutoModel": "modeling_ts2vec.TS2VecModel",
    }
    assert [path.name for path in tmp_path.iterdir()] == ["encoder"]  # no partial folder left behind


@pytest.mark.parametrize("module", ["modeling_ts2vec", "modeling_resnet1d", "modeling_patch_transformer"])
def test_modeling_files_import_only_torch_transformers_and_stdlib(module: str) -> None:
    path = Path(sys.modules[f"mmcl.adapters.timeseries.{module}"].__file__)
    imports = set(get_imports(path))
    assert imports <= {"torch", "transformers"} | set(sys.stdlib_module_names), imports
    assert "from ." not in path.read_text() and "mmcl" not in imports


def test_reloads_in_process_without_remote_code(tmp_path: Path) -> None:
    x = torch.randn(3, 2, 60)
    for name, model in trained_tiny_models().items():
        folder = save_encoder(model, tmp_path / name)
        loaded = AutoModel.from_pretrained(folder).eval()
        assert type(loaded) is type(model)
        for key, value in model.state_dict().items():  # BatchNorm statistics included
            torch.testing.assert_close(loaded.state_dict()[key], value, rtol=0, atol=0)
        with torch.no_grad():
            torch.testing.assert_close(loaded(x).pooler_output, model(x).pooler_output, rtol=0, atol=0)


def test_saving_again_replaces_the_folder(tmp_path: Path) -> None:
    models = trained_tiny_models()
    save_encoder(models["ts2vec"], tmp_path / "encoder")
    save_encoder(models["resnet1d"], tmp_path / "encoder")
    assert sorted(path.name for path in (tmp_path / "encoder").iterdir()) == [
        "config.json",
        "model.safetensors",
        "modeling_resnet1d.py",
    ]


def test_config_from_another_file_is_refused(tmp_path: Path) -> None:
    class LocalTS2Vec(TS2VecModel):  # defined here, its config in modeling_ts2vec.py
        pass

    with pytest.raises(ValueError, match="one modeling file"):
        save_encoder(LocalTS2Vec(TS2VecConfig(depth=1)), tmp_path / "encoder")


def test_loads_with_trust_remote_code_where_mmcl_is_not_installed(tmp_path: Path) -> None:
    x = torch.randn(3, 2, 60)
    models = trained_tiny_models()
    for name, model in models.items():
        save_encoder(model, tmp_path / name)
    outputs = outputs_without_mmcl(tmp_path, list(models), x)
    for name, model in models.items():
        with torch.no_grad():
            out = model(x)
        np.testing.assert_allclose(outputs[name]["pooled"], out.pooler_output.numpy(), atol=1e-5)
        np.testing.assert_allclose(outputs[name]["hidden"], out.last_hidden_state.numpy(), atol=1e-5)
