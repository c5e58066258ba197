"""Batched kornia views: shapes, ranges, seeds, and each augmentation against a naive reference."""

from __future__ import annotations

import pytest
import torch

from mmcl.adapters.image import (
    AugmentationSettings,
    MultiCrop,
    augmentation_pipeline,
    image_augmentations,
    preset_settings,
    view_augmentations,
)

# Crops of the whole square image at its own size: the identity, so one augmentation can be checked alone.
NO_AUGMENTATION = dict(
    crop_scale=(1.0, 1.0), crop_ratio=(1.0, 1.0), horizontal_flip=0.0, color_jitter=0.0, grayscale=0.0,
    gaussian_blur=0.0, solarize=0.0,
)  # fmt: skip


def images(batch: int = 8, size: int = 32) -> torch.Tensor:
    return torch.randint(0, 256, (batch, 3, size, size), dtype=torch.uint8)


@pytest.mark.parametrize("preset", ["simclr", "moco_v2", "byol", "byol_second_view"])
@pytest.mark.parametrize("size", [32, 64])
def test_views_are_float32_in_unit_range_at_the_output_size(preset: str, size: int) -> None:
    view = image_augmentations(preset, size)(images(size=48))
    assert view.shape == (8, 3, size, size)
    assert view.dtype == torch.float32
    assert view.min() >= 0.0 and view.max() <= 1.0


def test_same_seed_same_views_other_seed_other_views() -> None:
    augment, batch = image_augmentations("byol_second_view", 32, gaussian_blur=0.5), images()
    torch.manual_seed(3)
    first = augment(batch)
    torch.manual_seed(3)
    assert torch.equal(augment(batch), first)
    torch.manual_seed(4)
    assert not torch.equal(augment(batch), first)


def test_each_image_of_a_batch_gets_its_own_crop() -> None:
    batch = images(1).expand(16, -1, -1, -1)
    view = image_augmentations("simclr", 32, color_jitter=0.0, grayscale=0.0, horizontal_flip=0.0)(batch)
    assert len({view[i].sum().item() for i in range(16)}) > 8


def test_the_identity_settings_return_the_pixels_divided_by_255() -> None:
    batch = images()
    view = augmentation_pipeline(AugmentationSettings(**NO_AUGMENTATION), 32)(batch)
    torch.testing.assert_close(view, batch.float() / 255, atol=1e-5, rtol=0)


def test_flip_mirrors_every_image_left_to_right() -> None:
    batch = images()
    view = augmentation_pipeline(AugmentationSettings(**NO_AUGMENTATION | {"horizontal_flip": 1.0}), 32)(
        batch
    )
    torch.testing.assert_close(view, batch.flip(-1).float() / 255, atol=1e-5, rtol=0)


def test_grayscale_gives_three_equal_channels_of_the_luma() -> None:
    batch = images()
    view = augmentation_pipeline(AugmentationSettings(**NO_AUGMENTATION | {"grayscale": 1.0}), 32)(batch)
    rgb = batch.float() / 255
    luma = 0.299 * rgb[:, 0] + 0.587 * rgb[:, 1] + 0.114 * rgb[:, 2]
    for channel in range(3):
        torch.testing.assert_close(view[:, channel], luma, atol=1e-3, rtol=0)


def test_solarize_inverts_the_pixels_at_or_above_the_threshold() -> None:
    batch = images()
    view = augmentation_pipeline(AugmentationSettings(**NO_AUGMENTATION | {"solarize": 1.0}), 32)(batch)
    rgb = batch.float() / 255
    torch.testing.assert_close(view, torch.where(rgb >= 0.5, 1 - rgb, rgb), atol=1e-5, rtol=0)


def test_blur_averages_neighbours_and_keeps_the_mean_of_a_smooth_image() -> None:
    ramp = torch.linspace(0, 255, 64).round().to(torch.uint8)
    batch = ramp.view(1, 1, 1, 64).expand(4, 3, 64, 64).contiguous()
    noisy = images(4, 64)
    settings = AugmentationSettings(**NO_AUGMENTATION | {"gaussian_blur": 1.0, "blur_sigma": (2.0, 2.0)})
    blur = augmentation_pipeline(settings, 64)
    assert blur(noisy).std() < (noisy.float() / 255).std() / 2  # noise is smoothed away
    torch.testing.assert_close(blur(batch)[..., 8:-8], batch[..., 8:-8].float() / 255, atol=2e-3, rtol=0)


def test_colour_jitter_changes_colours_but_not_geometry_of_a_flat_image() -> None:
    flat = torch.tensor([200, 60, 30], dtype=torch.uint8).view(1, 3, 1, 1).expand(8, 3, 32, 32)
    view = augmentation_pipeline(AugmentationSettings(**NO_AUGMENTATION | {"color_jitter": 1.0}), 32)(flat)
    per_image = view.flatten(2)
    assert torch.allclose(per_image, per_image[..., :1])  # still flat: colour only
    assert (view[:, :, 0, 0] - flat[:, :, 0, 0].float() / 255).abs().max() > 0.05


def test_presets_follow_the_papers_and_turn_blur_off_at_cifar_size() -> None:
    assert (
        preset_settings("simclr", 224).brightness == 0.8
        and preset_settings("simclr", 224).gaussian_blur == 0.5
    )
    assert preset_settings("moco_v2", 224).crop_scale == (0.2, 1.0)
    assert preset_settings("byol", 224).gaussian_blur == 1.0 and preset_settings("byol", 224).solarize == 0.0
    second = preset_settings("byol_second_view", 224)
    assert (second.gaussian_blur, second.solarize) == (0.1, 0.2)
    assert preset_settings("simclr", 32).gaussian_blur == 0.0
    assert preset_settings("simclr", 32, gaussian_blur=0.5).gaussian_blur == 0.5


def test_byol_views_are_asymmetric_and_simclr_views_alike() -> None:
    names = [[type(step).__name__ for step in view] for view in view_augmentations("byol", 224)]
    assert "RandomSolarize" not in names[0] and "RandomSolarize" in names[1]
    first, second = view_augmentations("simclr", 224)
    assert repr(first) == repr(second)


def test_blur_kernel_is_odd_and_a_tenth_of_the_image() -> None:
    settings = AugmentationSettings()
    assert [settings.blur_kernel_size(size) for size in (224, 96, 32, 8)] == [23, 9, 3, 3]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [({"brightnes": 0.4}, "unknown image augmentation setting"), ({"grayscale": 1.5}, "probability")],
)
def test_bad_settings_are_refused_by_name(overrides: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        image_augmentations("simclr", 32, **overrides)


def test_unknown_preset_lists_the_presets() -> None:
    with pytest.raises(ValueError, match="simclr, moco_v2, byol"):
        image_augmentations("dino", 32)


def test_float_input_is_refused_with_the_conversion() -> None:
    with pytest.raises(ValueError, match="uint8"):
        image_augmentations("simclr", 32)(torch.rand(2, 3, 32, 32))


def test_multi_crop_gives_two_global_and_n_local_views() -> None:
    views = MultiCrop("byol", global_size=32, local_size=16, local_crops=3)(images())
    assert [tuple(view.shape) for view in views] == [(8, 3, 32, 32)] * 2 + [(8, 3, 16, 16)] * 3


@pytest.mark.slow
def test_compiled_colour_jitter_gives_the_eager_views() -> None:
    batch = images(64)
    eager = image_augmentations("simclr", 32)
    compiled = image_augmentations("simclr", 32, compiled=True)
    for seed in (0, 1):  # the second call runs another number of jittered images through the compiled kernels
        torch.manual_seed(seed)
        expected = eager(batch)
        torch.manual_seed(seed)
        torch.testing.assert_close(compiled(batch), expected, atol=1e-4, rtol=0)
