import math

import pytest
import torch
from torch import nn

from mmcl.ema import EMA


def _online():
    return nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 2))


def test_cosine_schedule_end_points():
    ema = EMA(_online(), momentum=0.99, schedule="cosine", total_steps=100)
    assert ema.momentum_at(0) == pytest.approx(0.99)
    assert ema.momentum_at(50) == pytest.approx(0.995)
    assert ema.momentum_at(100) == pytest.approx(1.0)
    assert ema.momentum_at(500) == pytest.approx(1.0)
    assert EMA(_online(), momentum=0.9).momentum_at(1234) == 0.9


def test_foreach_update_equals_per_parameter_reference():
    online = _online()
    ema = EMA(online, momentum=0.9)
    with torch.no_grad():
        for p in online.parameters():
            p.add_(torch.randn_like(p))
    before = [p.clone() for p in ema.target.parameters()]
    ema.update(step=0)
    for old, new, current in zip(before, ema.target.parameters(), online.parameters(), strict=True):
        torch.testing.assert_close(new, 0.9 * old + 0.1 * current)
        assert not new.requires_grad


def test_batchnorm_buffers_copied_by_default_and_averaged_on_request():
    online = _online()
    copy_ema, average_ema = EMA(online, 0.5), EMA(online, 0.5, buffers="average")
    online.train()
    online(torch.randn(16, 4) * 3 + 1)  # updates running statistics
    copy_ema.update(0)
    average_ema.update(0)
    bn = online[1]
    torch.testing.assert_close(copy_ema.target[1].running_mean, bn.running_mean)
    torch.testing.assert_close(
        average_ema.target[1].running_mean, 0.5 * bn.running_mean
    )  # target started at 0
    assert int(average_ema.target[1].num_batches_tracked) == int(bn.num_batches_tracked)


def test_repeated_step_updates_once():
    online = _online()
    ema = EMA(online, momentum=0.5)
    with torch.no_grad():
        online[0].weight.add_(1.0)
    ema.update(3)
    once = ema.target[0].weight.clone()
    ema.update(3)  # e.g. called per micro-batch under gradient accumulation
    torch.testing.assert_close(ema.target[0].weight, once)
    ema.update(4)
    assert not torch.equal(ema.target[0].weight, once)


def test_state_dict_round_trip_holds_target_and_step():
    online = _online()
    ema = EMA(online, momentum=0.5)
    with torch.no_grad():
        online[0].weight.mul_(3)
    ema.update(7)
    restored = EMA(_online(), momentum=0.5)
    restored.load_state_dict(ema.state_dict())
    torch.testing.assert_close(restored.target[0].weight, ema.target[0].weight)
    assert int(restored.last_step) == 7
    assert not any(key.startswith("_online") for key in ema.state_dict())


def test_target_runs_without_gradient():
    ema = EMA(_online())
    out = ema(torch.randn(4, 4))
    assert not out.requires_grad


def test_cosine_without_total_steps_raises():
    with pytest.raises(ValueError, match="needs total_steps"):
        EMA(_online(), schedule="cosine").update(0)


def test_momentum_one_keeps_target_fixed_and_zero_copies():
    online = _online()
    frozen, copied = EMA(online, 1.0), EMA(online, 0.0)
    start = frozen.target[0].weight.clone()
    with torch.no_grad():
        online[0].weight.add_(1)
    frozen.update(0)
    copied.update(0)
    torch.testing.assert_close(frozen.target[0].weight, start)
    torch.testing.assert_close(copied.target[0].weight, online[0].weight)
    assert math.isclose(copied.momentum_at(0), 0.0)
