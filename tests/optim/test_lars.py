"""LARS against plain SGD (no adaptation) and against the trust-ratio formula written out by hand."""

import torch

from mmcl.optim import LARS


def _gradient(parameter, seed):
    generator = torch.Generator().manual_seed(seed)
    parameter.grad = torch.randn(parameter.shape, generator=generator)


def test_without_adaptation_and_weight_decay_it_is_sgd_with_momentum():
    torch.manual_seed(0)
    a = torch.nn.Parameter(torch.randn(5, 3))
    b = torch.nn.Parameter(a.detach().clone())
    lars = LARS([a], lr=0.1, momentum=0.9, weight_decay=0.0, lars_adaptation=False)
    sgd = torch.optim.SGD([b], lr=0.1, momentum=0.9)
    for seed in range(5):
        _gradient(a, seed)
        _gradient(b, seed)
        lars.step()
        sgd.step()
    assert torch.allclose(a, b, atol=1e-7)


def test_one_step_scales_the_update_by_the_trust_ratio():
    torch.manual_seed(0)
    weight = torch.randn(4, 4)
    parameter = torch.nn.Parameter(weight.clone())
    _gradient(parameter, seed=1)
    gradient = parameter.grad.clone()
    LARS([parameter], lr=0.5, momentum=0.9, weight_decay=0.01, trust_coefficient=0.002).step()

    update = gradient + 0.01 * weight
    ratio = 0.002 * weight.norm() / update.norm()
    assert torch.allclose(parameter, weight - 0.5 * ratio * update, atol=1e-7)


def test_a_zero_parameter_is_updated_without_scaling():
    parameter = torch.nn.Parameter(torch.zeros(3))
    parameter.grad = torch.ones(3)
    LARS([parameter], lr=0.1, weight_decay=0.0).step()
    assert torch.allclose(parameter, torch.full((3,), -0.1))


def test_groups_choose_adaptation_and_weight_decay():
    adapted, plain = torch.nn.Parameter(torch.ones(2, 2)), torch.nn.Parameter(torch.ones(2))
    adapted.grad, plain.grad = torch.ones(2, 2), torch.ones(2)
    optimizer = LARS(
        [{"params": [adapted]}, {"params": [plain], "weight_decay": 0.0, "lars_adaptation": False}],
        lr=1.0, momentum=0.0, weight_decay=0.5, trust_coefficient=0.1,
    )  # fmt: skip
    optimizer.step()
    update = torch.full((2, 2), 1.5)  # gradient + 0.5 * weight
    assert torch.allclose(adapted, 1 - 0.1 * 2.0 / update.norm() * update)
    assert torch.allclose(plain, torch.zeros(2))
