"""The three time-series encoders: shapes, masking of padded timestamps, pooling, receptive field, configs."""

from __future__ import annotations

import math

import pytest
import torch
from transformers import AutoConfig, AutoModel

from mmcl.adapters.timeseries import (
    PatchTransformerConfig,
    PatchTransformerModel,
    ResNet1dConfig,
    ResNet1dModel,
    TS2VecConfig,
    TS2VecModel,
)

LEADS = 3


TINY_CONFIGS = {
    "ts2vec": TS2VecConfig(num_leads=LEADS, hidden_size=12, conv_channels=8, depth=3),
    "resnet1d": ResNet1dConfig(
        num_leads=LEADS, stem_channels=8, hidden_sizes=[8, 16], depths=[1, 1], kernel_size=3
    ),
    "patch_cls": PatchTransformerConfig(
        num_leads=LEADS, patch_size=8, hidden_size=16, num_layers=2, num_heads=2
    ),
    "patch_mean_learned": PatchTransformerConfig(
        num_leads=LEADS,
        patch_size=8,
        hidden_size=16,
        num_layers=2,
        num_heads=2,
        pooling="mean",
        position_embedding="learned",
        max_patches=64,
    ),
}
MODEL_CLASSES = {
    TS2VecConfig: TS2VecModel,
    ResNet1dConfig: ResNet1dModel,
    PatchTransformerConfig: PatchTransformerModel,
}


def tiny_model(name: str) -> torch.nn.Module:
    torch.manual_seed(0)
    config = TINY_CONFIGS[name]
    return MODEL_CLASSES[type(config)](config)


def expected_time(name: str, length: int) -> int:
    if name == "ts2vec":
        return length
    if name == "resnet1d":  # stem stride 2, then one stride-2 stage
        return math.ceil(math.ceil(length / 2) / 2)
    return math.ceil(length / 8)


@pytest.mark.parametrize("name", list(TINY_CONFIGS))
@pytest.mark.parametrize("length", [64, 101])
def test_output_shapes(name: str, length: int) -> None:
    model = tiny_model(name).eval()
    out = model(torch.randn(2, LEADS, length))
    hidden = model.config.hidden_size
    assert out.last_hidden_state.shape == (2, expected_time(name, length), hidden)
    assert out.pooler_output.shape == (2, hidden)
    assert model(torch.randn(2, LEADS, length), return_dict=False)[1].shape == (2, hidden)


@pytest.mark.parametrize("name", list(TINY_CONFIGS))
def test_padding_masked_out_matches_unpadded_series(name: str) -> None:
    """Right-padding with garbage plus attention_mask gives what each series gives alone (eval mode)."""
    model = tiny_model(name).eval()
    lengths = [77, 50]
    series = [torch.randn(1, LEADS, length) for length in lengths]
    padded = torch.randn(2, LEADS, 90) * 10  # garbage in the padding
    mask = torch.zeros(2, 90)
    for row, (single, length) in enumerate(zip(series, lengths, strict=True)):
        padded[row, :, :length] = single[0]
        mask[row, :length] = 1
    with torch.no_grad():
        batched = model(padded, attention_mask=mask)
        for row, single in enumerate(series):
            alone = model(single)
            valid = alone.last_hidden_state.shape[1]
            torch.testing.assert_close(
                batched.last_hidden_state[row, :valid], alone.last_hidden_state[0], atol=1e-5, rtol=1e-5
            )
            torch.testing.assert_close(
                batched.pooler_output[row], alone.pooler_output[0], atol=1e-5, rtol=1e-5
            )


def test_ts2vec_pooler_is_max_over_valid_timestamps() -> None:
    model = tiny_model("ts2vec").eval()
    mask = torch.ones(3, 40)
    mask[1, 25:] = 0
    mask[2, 3:] = 0
    out = model(torch.randn(3, LEADS, 40), attention_mask=mask)
    for row in range(3):
        valid = int(mask[row].sum())
        reference = torch.stack([out.last_hidden_state[row, t] for t in range(valid)]).max(dim=0).values
        torch.testing.assert_close(out.pooler_output[row], reference)


def test_resnet_mean_pooling_is_mean_over_valid_positions() -> None:
    model = tiny_model("resnet1d").eval()
    mask = torch.ones(2, 64)
    mask[1, 30:] = 0  # 30 valid samples -> 15 after the stem -> 8 after the second stage
    out = model(torch.randn(2, LEADS, 64), attention_mask=mask)
    torch.testing.assert_close(out.pooler_output[0], out.last_hidden_state[0].mean(dim=0))
    torch.testing.assert_close(out.pooler_output[1], out.last_hidden_state[1, :8].mean(dim=0))
    assert torch.all(out.last_hidden_state[1, 8:] == 0)


def test_ts2vec_receptive_field_of_dilated_blocks() -> None:
    """Block i has two kernel-3 convolutions with dilation 2**i: radius 2 * (1 + 2 + ... + 2**depth)."""
    depth = 3
    model = TS2VecModel(
        TS2VecConfig(num_leads=1, hidden_size=4, conv_channels=4, depth=depth, dropout=0.0)
    ).eval()
    radius = sum(2 * 2**i for i in range(depth + 1))
    x = torch.randn(1, 1, 200)
    changed = x.clone()
    changed[0, 0, 100] += 5.0
    with torch.no_grad():
        difference = (model(changed).last_hidden_state - model(x).last_hidden_state).abs().amax(dim=-1)[0]
    affected = torch.nonzero(difference > 0).flatten()
    assert affected.min().item() == 100 - radius
    assert affected.max().item() == 100 + radius


def test_patch_transformer_learned_positions_limit() -> None:
    model = tiny_model("patch_mean_learned")
    with pytest.raises(ValueError, match="max_patches=64"):
        model(torch.randn(1, LEADS, 8 * 64 + 1))


def test_wrong_input_shapes_fail_with_the_expected_shape() -> None:
    for model in map(tiny_model, TINY_CONFIGS):
        with pytest.raises(ValueError, match=rf"\(batch, {LEADS}, time\)"):
            model(torch.randn(2, 50, LEADS))
        with pytest.raises(ValueError, match="attention_mask"):
            model(torch.randn(2, LEADS, 50), attention_mask=torch.ones(2, 49))


@pytest.mark.parametrize(
    ("config_class", "kwargs", "message"),
    [
        (TS2VecConfig, {"pooling": "cls"}, "pooling"),
        (ResNet1dConfig, {"kernel_size": 4}, "odd"),
        (ResNet1dConfig, {"hidden_sizes": [8, 16], "depths": [1]}, "one entry per stage"),
        (PatchTransformerConfig, {"hidden_size": 10, "num_heads": 3}, "divide"),
        (PatchTransformerConfig, {"position_embedding": "rotary"}, "position_embedding"),
    ],
)
def test_invalid_configs_fail_early(config_class: type, kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        config_class(**kwargs)


@pytest.mark.parametrize("config", [TS2VecConfig(depth=1), ResNet1dConfig(), PatchTransformerConfig()])
def test_auto_classes_resolve_registered_model_types(config) -> None:
    assert isinstance(AutoConfig.for_model(config.model_type), type(config))
    model = AutoModel.from_config(config)
    assert type(model).config_class is type(config)
