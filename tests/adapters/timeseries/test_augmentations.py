"""Batched time-series augmentations: contract (shape, dtype, p, determinism, no per-sample loops) and the
statistics each one promises, checked against hand-computed references."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
import torch
from torch.overrides import TorchFunctionMode

from mmcl.adapters.timeseries import (
    AmplitudeScaling,
    BaselineWander,
    Compose,
    GaussianJitter,
    LeadDropout,
    MagnitudeWarp,
    OverlappingCropPair,
    PowerlineNoise,
    RandomCrop,
    SegmentPermutation,
    TimeOut,
    TimeShift,
    TimestampMasking,
    TimeWarp,
    WindowSlice,
    augmentation_preset,
)

AUGMENTATIONS: dict[str, Callable[[float], torch.nn.Module]] = {
    "jitter": lambda p: GaussianJitter(sigma=0.1, p=p),
    "scaling": lambda p: AmplitudeScaling(sigma=0.2, p=p),
    "magnitude_warp": lambda p: MagnitudeWarp(sigma=0.2, knots=4, p=p),
    "time_warp": lambda p: TimeWarp(sigma=0.2, knots=4, p=p),
    "window_slice": lambda p: WindowSlice(ratio=(0.5, 0.9), p=p),
    "timestamp_masking": lambda p: TimestampMasking(mask_ratio=0.5, p=p),
    "time_out": lambda p: TimeOut(ratio=(0.1, 0.5), p=p),
    "segment_permutation": lambda p: SegmentPermutation(max_segments=5, p=p),
    "baseline_wander": lambda p: BaselineWander(sampling_rate=100, amplitude=0.5, p=p),
    "powerline_noise": lambda p: PowerlineNoise(sampling_rate=250, frequency=50, amplitude=0.5, p=p),
    "lead_dropout": lambda p: LeadDropout(rate=0.25, p=p),
    "time_shift": lambda p: TimeShift(max_shift=0.2, p=p),
}


def seeded(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def batch(
    size: int = 16, leads: int = 4, length: int = 200, dtype: torch.dtype = torch.float32
) -> torch.Tensor:
    return torch.randn(size, leads, length, generator=seeded(123)).to(dtype)


def ramp(size: int, leads: int, length: int) -> torch.Tensor:
    """Sample t of every lead holds t: output values say where each output timestamp was read from."""
    return torch.arange(length, dtype=torch.float64).expand(size, leads, length).clone()


@pytest.mark.parametrize("name", list(AUGMENTATIONS))
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.bfloat16])
def test_shape_and_dtype_are_kept(name: str, dtype: torch.dtype) -> None:
    x = batch(dtype=dtype)
    out = AUGMENTATIONS[name](1.0)(x, seeded())
    assert out.shape == x.shape and out.dtype == dtype and out.device == x.device


@pytest.mark.parametrize("name", list(AUGMENTATIONS))
def test_p0_is_identity_and_p1_changes_every_sample(name: str) -> None:
    x = batch()
    assert torch.equal(AUGMENTATIONS[name](0.0)(x, seeded()), x)
    changed = (AUGMENTATIONS[name](1.0)(x, seeded()) != x).flatten(1).any(dim=1)
    assert changed.all()


@pytest.mark.parametrize("name", list(AUGMENTATIONS))
def test_p_selects_samples_independently(name: str) -> None:
    x = batch(size=400, leads=2, length=64)
    out = AUGMENTATIONS[name](0.5)(x, seeded())
    changed = (out != x).flatten(1).any(dim=1)
    assert 0.38 < changed.float().mean().item() < 0.62  # Binomial(400, 0.5): 4.8 standard deviations


@pytest.mark.parametrize("name", list(AUGMENTATIONS))
def test_deterministic_under_a_seeded_generator(name: str) -> None:
    x = batch()
    augmentation = AUGMENTATIONS[name](0.7)
    assert torch.equal(augmentation(x, seeded(1)), augmentation(x, seeded(1)))
    assert not torch.equal(augmentation(x, seeded(1)), augmentation(x, seeded(2)))


class _CountTorchCalls(TorchFunctionMode):
    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def __torch_function__(self, func, types, args=(), kwargs=None):
        self.calls += 1
        return func(*args, **(kwargs or {}))


def count_torch_calls(augmentation: torch.nn.Module, x: torch.Tensor) -> int:
    with _CountTorchCalls() as counter:
        augmentation(x, seeded())
    return counter.calls


@pytest.mark.parametrize(
    "name_and_factory",
    [*AUGMENTATIONS.items(), ("random_crop", lambda p: RandomCrop(50, p=p))],
    ids=lambda item: item[0],
)
def test_no_python_loop_over_samples(name_and_factory) -> None:
    """The number of torch calls does not grow with the batch size."""
    augmentation = name_and_factory[1](0.5)
    assert count_torch_calls(augmentation, batch(size=2)) == count_torch_calls(augmentation, batch(size=64))


def test_jitter_noise_has_standard_deviation_sigma() -> None:
    out = GaussianJitter(sigma=0.3, p=1.0)(torch.zeros(64, 4, 1000), seeded())
    assert abs(out.std().item() - 0.3) < 0.005
    assert abs(out.mean().item()) < 0.005


def test_scaling_multiplies_each_lead_by_one_factor_with_std_sigma() -> None:
    out = AmplitudeScaling(sigma=0.2, p=1.0)(torch.ones(500, 6, 50), seeded())
    factors = out[:, :, 0]
    assert torch.equal(out, factors[:, :, None].expand_as(out))
    assert abs(factors.mean().item() - 1.0) < 0.01
    assert abs(factors.std().item() - 0.2) < 0.01


def test_magnitude_warp_passes_through_normal_knots_and_is_smooth() -> None:
    knots, sigma, length = 4, 0.2, 501  # knots at samples 0, 100, ..., 500
    curves = MagnitudeWarp(sigma=sigma, knots=knots, p=1.0)(torch.ones(400, 3, length), seeded())
    at_knots = curves[:, :, :: (length - 1) // (knots + 1)]
    assert at_knots.shape[-1] == knots + 2
    assert abs(at_knots.mean().item() - 1.0) < 0.01
    assert abs(at_knots.std().item() - sigma) < 0.01
    assert (curves[:, 0] != curves[:, 1]).any(dim=1).all()  # one curve per lead
    assert curves.diff(dim=-1).abs().max().item() < 0.05  # cubic, no jumps between samples


def test_time_warp_is_monotonic_keeps_the_ends_and_is_shared_by_leads() -> None:
    x = ramp(64, 2, 300)
    x[:, 1] *= 2
    out = TimeWarp(sigma=0.3, knots=4, p=1.0)(x, seeded())
    assert (out[:, 0].diff(dim=-1) >= 0).all()
    torch.testing.assert_close(out[:, 0, 0], torch.zeros(64, dtype=torch.float64), atol=1e-3, rtol=0)
    torch.testing.assert_close(
        out[:, 0, -1], torch.full((64,), 299.0, dtype=torch.float64), atol=1e-3, rtol=0
    )
    torch.testing.assert_close(out[:, 1], 2 * out[:, 0])
    assert not torch.allclose(out, x)


def test_time_warp_with_sigma_zero_is_the_identity() -> None:
    x = batch()
    torch.testing.assert_close(TimeWarp(sigma=0.0, p=1.0)(x, seeded()), x)


def test_window_slice_reads_a_linear_window_of_the_given_ratio() -> None:
    length = 101
    out = WindowSlice(ratio=0.5, p=1.0)(ramp(32, 1, length), seeded())[:, 0]
    steps = out.diff(dim=-1)
    # 50 samples stretched over 100 steps (positions are float32)
    torch.testing.assert_close(steps, torch.full_like(steps, 0.5), atol=1e-4, rtol=0)
    assert (out[:, 0] >= 0).all() and (out[:, -1] <= length - 1).all()
    assert out[:, 0].unique().numel() > 1  # random starts


def test_random_crop_matches_slicing_and_p0_is_the_centre_crop() -> None:
    x = batch(size=64, length=100)
    out = RandomCrop(30, p=1.0)(x, seeded())
    starts = []
    for row in range(64):  # reference: find each crop in its series by plain slicing
        matches = [s for s in range(71) if torch.equal(x[row, :, s : s + 30], out[row])]
        assert len(matches) == 1
        starts.append(matches[0])
    assert min(starts) < 10 and max(starts) > 60
    assert torch.equal(RandomCrop(30, p=0.0)(x, seeded()), x[:, :, 35:65])


def test_overlapping_crops_overlap_where_reported() -> None:
    x = batch(size=32, length=120)
    for seed in range(20):
        crops = OverlappingCropPair(min_overlap=4)(x, seeded(seed))
        length = crops.overlap_length
        assert 4 <= length <= 120
        assert crops.first.shape[-1] == crops.first_overlap_start + length
        for row in range(32):
            start = int(crops.overlap_start[row])
            reference = x[row, :, start : start + length]
            assert torch.equal(crops.first[row, :, crops.first_overlap_start :], reference)
            assert torch.equal(crops.second[row, :, :length], reference)


def test_timestamp_masking_zeroes_whole_timestamps_at_the_ratio() -> None:
    out = TimestampMasking(mask_ratio=0.3, p=1.0)(torch.ones(64, 3, 500), seeded())
    zeroed = out == 0
    assert torch.equal(zeroed.all(dim=1), zeroed.any(dim=1))  # all leads of a timestamp together
    assert abs(zeroed[:, 0].float().mean().item() - 0.3) < 0.01


def test_time_out_zeroes_one_contiguous_segment_on_all_leads() -> None:
    out = TimeOut(ratio=(0.1, 0.3), p=1.0)(torch.ones(128, 3, 200), seeded())
    zeroed = (out == 0).all(dim=1)
    for row in zeroed:
        positions = torch.nonzero(row).flatten()
        assert 20 <= positions.numel() <= 60
        assert positions.max() - positions.min() + 1 == positions.numel()


def test_segment_permutation_reorders_at_most_max_segments_segments() -> None:
    x = ramp(256, 2, 100)
    out = SegmentPermutation(max_segments=4, p=1.0)(x, seeded())
    assert torch.equal(out.sort(dim=-1).values, x)
    assert torch.equal(out[:, 0], out[:, 1])
    jumps = (out[:, 0].diff(dim=-1) != 1).sum(dim=1)
    assert jumps.min() >= 1 and jumps.max() <= 3  # k segments out of order: at most k - 1 seams
    assert set(jumps.tolist()) == {1, 2, 3}


def test_baseline_wander_energy_is_below_half_a_hertz() -> None:
    rate, seconds = 100, 60
    out = BaselineWander(sampling_rate=rate, amplitude=1.0, p=1.0)(
        torch.zeros(16, 2, rate * seconds), seeded()
    )
    power = np.abs(np.fft.rfft(out.numpy(), axis=-1)) ** 2
    frequencies = np.fft.rfftfreq(rate * seconds, d=1 / rate)
    assert power[..., frequencies <= 0.6].sum() / power.sum() > 0.98


@pytest.mark.parametrize("mains", [50.0, 60.0])
def test_powerline_noise_energy_is_at_the_mains_frequency(mains: float) -> None:
    rate, seconds = 500, 10
    out = PowerlineNoise(sampling_rate=rate, frequency=mains, amplitude=1.0, p=1.0)(
        torch.zeros(8, 3, rate * seconds), seeded()
    )
    power = np.abs(np.fft.rfft(out.numpy(), axis=-1)) ** 2
    frequencies = np.fft.rfftfreq(rate * seconds, d=1 / rate)
    assert frequencies[power.sum(axis=(0, 1)).argmax()] == mains
    assert power[..., np.isclose(frequencies, mains)].sum() / power.sum() > 0.999


def test_powerline_frequency_must_be_below_nyquist() -> None:
    with pytest.raises(ValueError, match="Nyquist"):
        PowerlineNoise(sampling_rate=100, frequency=50)


def test_lead_dropout_zeroes_whole_leads_and_keeps_the_others() -> None:
    x = batch(size=64, leads=12)
    out = LeadDropout(rate=0.25, p=1.0)(x, seeded())
    dropped = (out == 0).all(dim=-1)
    assert (dropped.sum(dim=1) == 3).all()
    assert torch.equal(out[~dropped], x[~dropped])
    with pytest.raises(ValueError, match="at least 2 leads"):
        LeadDropout(p=1.0)(batch(leads=1), seeded())


def test_time_shift_is_a_circular_roll_within_max_shift() -> None:
    x = batch(size=64, length=100)
    out = TimeShift(max_shift=0.1, p=1.0)(x, seeded())
    for row in range(64):
        shifts = [s for s in range(-10, 11) if torch.equal(torch.roll(x[row], s, dims=-1), out[row])]
        assert len(shifts) == 1 and shifts[0] != 0


def test_compose_applies_in_order_with_one_generator() -> None:
    x = batch()
    first, second = GaussianJitter(sigma=0.1, p=1.0), RandomCrop(50)
    generator = seeded()
    expected = second(first(x, generator), generator)
    assert torch.equal(Compose([first, second])(x, seeded()), expected)


def test_presets_follow_the_literature() -> None:
    ecg = augmentation_preset("ecg", sampling_rate=500)
    assert [type(a).__name__ for a in ecg.augmentations] == [
        "WindowSlice",
        "TimeOut",
        "BaselineWander",
        "PowerlineNoise",
        "GaussianJitter",
        "AmplitudeScaling",
    ]
    assert "PowerlineNoise" not in [
        type(a).__name__ for a in augmentation_preset("ecg", sampling_rate=100).augmentations
    ]
    finance = augmentation_preset("finance")
    assert [(type(a).__name__, a.p) for a in finance.augmentations] == [
        ("GaussianJitter", 0.5),
        ("AmplitudeScaling", 0.5),
        ("MagnitudeWarp", 0.5),
        ("TimeWarp", 0.5),
        ("WindowSlice", 0.5),
    ]
    x = batch(length=1000)
    for preset in (ecg, finance):
        out = preset(x, seeded())
        assert out.shape == x.shape and torch.isfinite(out).all()
    with pytest.raises(ValueError, match="sampling_rate"):
        augmentation_preset("ecg")
    with pytest.raises(ValueError, match="'ecg' or 'finance'"):
        augmentation_preset("images")


def test_bad_batches_fail_early() -> None:
    with pytest.raises(ValueError, match=r"\(batch, leads, time\)"):
        GaussianJitter()(torch.zeros(4, 100))
    with pytest.raises(ValueError, match="floating-point"):
        GaussianJitter()(torch.zeros(4, 2, 100, dtype=torch.long))
    with pytest.raises(ValueError, match="at least 50"):
        RandomCrop(50)(torch.zeros(4, 2, 49))
    with pytest.raises(ValueError, match="p must be in"):
        GaussianJitter(p=1.5)
