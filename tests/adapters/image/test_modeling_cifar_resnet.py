"""The CIFAR-stem ResNet: its stem against a naive 3x3 conv + BatchNorm + ReLU, the rest equal to
`transformers`' ResNet, and its folder loading without mmcl through ``trust_remote_code``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
from torch.nn import functional as F
from transformers import AutoModel, ResNetConfig, ResNetModel

from mmcl.adapters.image.modeling_cifar_resnet import CifarResNetConfig, CifarResNetModel
from mmcl.hub import save_encoder
from tests.fixtures.without_mmcl import outputs_without_mmcl

SIZES = {"embedding_size": 8, "hidden_sizes": [8, 16], "depths": [1, 1], "layer_type": "basic"}


def trained_tiny_model() -> CifarResNetModel:
    """A tiny CIFAR ResNet whose weights and BatchNorm statistics differ from a fresh initialisation."""
    torch.manual_seed(0)
    model = CifarResNetModel(CifarResNetConfig(**SIZES)).train()
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.add_(0.1 * torch.randn_like(parameter))
        model(torch.rand(4, 3, 32, 32) * 2)
    return model.eval()


def test_stem_is_a_stride_one_3x3_convolution_without_pooling() -> None:
    model = trained_tiny_model()
    x = torch.rand(2, 3, 32, 32)
    conv = model.embedder.embedder.convolution
    bn = model.embedder.embedder.normalization
    expected = F.relu(
        F.batch_norm(F.conv2d(x, conv.weight, padding=1), bn.running_mean, bn.running_var, bn.weight, bn.bias)
    )
    with torch.no_grad():
        torch.testing.assert_close(model.embedder(x), expected)
        out = model(x, output_hidden_states=True)
    assert [tuple(h.shape[-2:]) for h in out.hidden_states] == [(32, 32), (32, 32), (16, 16)]
    assert out.pooler_output.shape == (2, 16, 1, 1)


def test_everything_after_the_stem_is_the_transformers_resnet() -> None:
    cifar = trained_tiny_model()
    plain = ResNetModel(ResNetConfig(**SIZES))
    cifar_shapes = {key: value.shape for key, value in cifar.state_dict().items()}
    plain_shapes = {key: value.shape for key, value in plain.state_dict().items()}
    assert cifar_shapes.keys() == plain_shapes.keys()
    assert [key for key in cifar_shapes if cifar_shapes[key] != plain_shapes[key]] == [
        "embedder.embedder.convolution.weight"
    ]
    plain.load_state_dict(
        {k: v for k, v in cifar.state_dict().items() if not k.startswith("embedder.")}, strict=False
    )
    plain.eval()
    stem_output = torch.rand(2, 8, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(
            cifar.encoder(stem_output).last_hidden_state, plain.encoder(stem_output).last_hidden_state
        )


def test_fresh_stem_is_initialised_like_the_other_convolutions() -> None:
    torch.manual_seed(0)
    model = CifarResNetModel(CifarResNetConfig(embedding_size=64, hidden_sizes=[64], depths=[1]))
    weight = model.embedder.embedder.convolution.weight
    fan_out = weight.shape[0] * weight.shape[2] * weight.shape[3]
    assert abs(weight.std().item() - (2 / fan_out) ** 0.5) < 0.1 * (2 / fan_out) ** 0.5  # Kaiming, fan-out


def test_folder_loads_with_trust_remote_code_where_mmcl_is_not_installed(tmp_path: Path) -> None:
    model = trained_tiny_model()
    folder = save_encoder(model, tmp_path / "cifar")
    config = json.loads((folder / "config.json").read_text())
    assert config["model_type"] == "mmcl_cifar_resnet"
    assert config["auto_map"]["AutoModel"] == "modeling_cifar_resnet.CifarResNetModel"
    x = torch.rand(3, 3, 32, 32)
    loaded = outputs_without_mmcl(tmp_path, ["cifar"], x)["cifar"]
    with torch.no_grad():
        out = model(x)
    np.testing.assert_allclose(loaded["pooled"], out.pooler_output.numpy(), atol=1e-5)
    np.testing.assert_allclose(loaded["hidden"], out.last_hidden_state.numpy(), atol=1e-5)


def test_reloads_in_process_with_the_auto_registration(tmp_path: Path) -> None:
    model = trained_tiny_model()
    loaded = AutoModel.from_pretrained(save_encoder(model, tmp_path / "cifar")).eval()
    assert type(loaded) is CifarResNetModel
    x = torch.rand(2, 3, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(loaded(x).pooler_output, model(x).pooler_output, rtol=0, atol=0)
