"""``build_optimizer``: the named optimizer, weight decay on weights only, frozen parameters left out."""

import pytest
import torch

from mmcl.optim import LARS, AdamWOptions, LARSOptions, SGDOptions, build_optimizer


def _model():
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.BatchNorm1d(8), torch.nn.Linear(8, 2))
    frozen = torch.nn.Linear(2, 2).requires_grad_(False)
    model.append(frozen)
    return model


def test_weights_are_decayed_and_biases_and_norms_are_not():
    model = _model()
    optimizer = build_optimizer(model, AdamWOptions(lr=1e-3, weight_decay=0.05, betas=(0.8, 0.9)))
    decayed, not_decayed = optimizer.param_groups
    assert {id(p) for p in decayed["params"]} == {id(model[0].weight), id(model[2].weight)}
    assert {id(p) for p in not_decayed["params"]} == {
        id(p) for p in (model[0].bias, model[1].weight, model[1].bias, model[2].bias)
    }
    assert (decayed["weight_decay"], not_decayed["weight_decay"], decayed["betas"]) == (0.05, 0.0, (0.8, 0.9))
    assert isinstance(optimizer, torch.optim.AdamW)


def test_adamw_is_fused_by_default_and_steps_as_the_per_parameter_loop():
    torch.manual_seed(0)
    model, reference = torch.nn.Linear(16, 8), torch.nn.Linear(16, 8)
    reference.load_state_dict(model.state_dict())
    fused = build_optimizer(model, AdamWOptions(lr=1e-2, weight_decay=0.1))
    assert fused.param_groups[0]["fused"]
    loop = torch.optim.AdamW(
        [
            {"params": [reference.weight], "weight_decay": 0.1},
            {"params": [reference.bias], "weight_decay": 0.0},
        ],
        lr=1e-2,
        foreach=False,
    )
    for _ in range(3):
        x = torch.randn(4, 16)
        for module, optimizer in ((model, fused), (reference, loop)):
            optimizer.zero_grad()
            module(x).square().sum().backward()
            optimizer.step()
    torch.testing.assert_close(model.weight, reference.weight)
    torch.testing.assert_close(model.bias, reference.bias)
    unfused = build_optimizer(model, AdamWOptions(lr=1e-2, fused=False))
    assert not unfused.param_groups[0]["fused"]


def test_frozen_parameters_are_left_out_and_decay_can_include_everything():
    model = _model()
    (group,) = build_optimizer(
        model, SGDOptions(lr=0.1, nesterov=True, decay_bias_and_norm=True)
    ).param_groups
    assert len(group["params"]) == sum(p.requires_grad for p in model.parameters()) == 6
    assert group["nesterov"] and group["momentum"] == 0.9


def test_lars_skips_adaptation_for_biases_and_norms():
    optimizer = build_optimizer(_model(), LARSOptions(lr=0.3, trust_coefficient=0.002))
    assert isinstance(optimizer, LARS)
    assert [g["lars_adaptation"] for g in optimizer.param_groups] == [True, False]
    assert optimizer.param_groups[0]["trust_coefficient"] == 0.002


def test_a_learning_rate_must_be_positive():
    with pytest.raises(ValueError, match="lr must be > 0"):
        AdamWOptions(lr=0.0)
