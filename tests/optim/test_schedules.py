"""Warmup + decay multipliers equal ``transformers``' schedules step by step, and survive a JSON round trip."""

import json

import pytest
import torch
import transformers

from mmcl.optim import ScheduleOptions, build_scheduler


def _learning_rates(make_scheduler, steps=30):
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.4)
    scheduler = make_scheduler(optimizer)
    rates = [optimizer.param_groups[0]["lr"]]
    for _ in range(steps):
        optimizer.step()
        scheduler.step()
        rates.append(optimizer.param_groups[0]["lr"])
    return rates


@pytest.mark.parametrize(
    ("name", "reference"),
    [
        ("cosine", lambda o: transformers.get_cosine_schedule_with_warmup(o, 5, 30)),
        ("linear", lambda o: transformers.get_linear_schedule_with_warmup(o, 5, 30)),
        ("constant", lambda o: transformers.get_constant_schedule_with_warmup(o, 5)),
    ],
)
def test_multipliers_equal_transformers_schedules(name, reference):
    ours = _learning_rates(lambda o: build_scheduler(o, ScheduleOptions(name=name, warmup_steps=5), 30))
    assert ours == pytest.approx(_learning_rates(reference), abs=1e-12)


def test_cosine_with_a_floor_equals_transformers_min_lr_schedule():
    ours = _learning_rates(
        lambda o: build_scheduler(o, ScheduleOptions(warmup_steps=3, final_lr_ratio=0.1), 30)
    )
    reference = _learning_rates(
        lambda o: transformers.get_cosine_with_min_lr_schedule_with_warmup(o, 3, 30, min_lr_rate=0.1)
    )
    assert ours == pytest.approx(reference, abs=1e-12)


def test_state_survives_json_and_continues_the_same_rates():
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.4)
    scheduler = build_scheduler(optimizer, ScheduleOptions(warmup_steps=5), 30)
    for _ in range(12):
        optimizer.step()
        scheduler.step()
    state = json.loads(json.dumps(scheduler.state_dict()))
    other_optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.4)
    other = build_scheduler(other_optimizer, ScheduleOptions(name="linear"), 99)
    other.load_state_dict(state)
    for _ in range(5):
        optimizer.step()
        other_optimizer.step()
        scheduler.step()
        other.step()
        assert other.get_last_lr() == scheduler.get_last_lr()


@pytest.mark.parametrize("options", [{"warmup_steps": -1}, {"final_lr_ratio": 1.5}])
def test_invalid_options(options):
    with pytest.raises(ValueError):
        ScheduleOptions(**options)
