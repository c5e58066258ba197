"""The image adapter in the engine: recipe checks, batched views on the device, evaluation, the model folder."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from transformers import AutoModel

from mmcl.adapters.image import DecodedImages, ImageAdapter, ImageData, image_evaluation, load_image_encoder
from mmcl.cli import main
from mmcl.evaluation import knn_accuracy
from mmcl.recipe import RecipeError, load_recipe
from mmcl.train import train
from tests.adapters.image.conftest import write_class_folder
from tests.adapters.image.test_image_encoder import TINY_RESNET, features_without_mmcl

RECIPES_DIR = Path(__file__).resolve().parents[3] / "recipes"
RECIPES = ["image-simclr", "image-moco", "image-byol", "image-simclr-gpu", "image-moco-gpu", "image-byol-gpu"]


def tiny_overrides(tmp_path: Path, train_folder: Path, test_folder: Path) -> list[str]:
    """A 2-stage ResNet of 8 / 16 channels on 32 x 32 images, 3 steps of 16 images."""
    return [
        f"adapter.data.train={train_folder}",
        f"adapter.data.test={test_folder}",
        "adapter.data.train_subset=null",
        "adapter.data.test_subset=null",
        "adapter.encoder_config={model_type: resnet, layer_type: basic, embedding_size: 8, hidden_sizes: [8, 16], depths: [1, 1]}",
        "adapter.cifar_stem=false",
        "adapter.linear_probe_c_grid=[1.0]",
        "train.batch_size=16",
        "train.epochs=null",
        "train.max_steps=3",
        "train.progress_bar=false",
        f"output.dir={tmp_path / 'run'}",
        "output.trackers=[]",
    ]


@pytest.mark.parametrize("recipe", RECIPES)
def test_bundled_recipes_validate_with_user_data(recipe: str, image_folder: Path) -> None:
    loaded = load_recipe(recipe, [f"adapter.data.train={image_folder}", f"adapter.data.test={image_folder}"])
    assert loaded.adapter.name == "image" and loaded.train.batch_size in (256, 512)


def test_bad_adapter_options_are_recipe_errors_naming_the_key(image_folder: Path) -> None:
    with pytest.raises(
        RecipeError, match=r"adapter.augmentation_overrides: unknown image augmentation setting"
    ):
        load_recipe("image-simclr", [f"adapter.data.train={image_folder}", "adapter.data.test=null",
                                     "adapter.augmentation_overrides={blur: 0.5}"])  # fmt: skip
    with pytest.raises(RecipeError, match=r"adapter.data.train: '.*nowhere' does not exist"):
        load_recipe("image-simclr", [f"adapter.data.train={image_folder / 'nowhere'}"])


def test_batches_are_uint8_and_both_views_are_made_on_the_batch_device(image_folder: Path) -> None:
    image_adapter = ImageAdapter(
        ImageAdapter.Options(data=ImageData(train=str(image_folder)), augmentations="byol")
    )
    dataset = image_adapter.load_dataset("train")
    batch = image_adapter.collate([dataset[i] for i in (0, 7, 3)])
    expected = image_adapter.images("train").pixels[[0, 7, 3]]
    assert batch.dtype == torch.uint8 and torch.equal(batch, expected)
    first, second = image_adapter.make_views(batch)
    assert first.shape == second.shape == (3, 3, 32, 32) and first.dtype == torch.float32
    assert not torch.equal(first, second)


def test_a_streamed_split_collates_the_same_pixels(image_folder: Path) -> None:
    data = ImageData(train=str(image_folder), cache_budget_mb=0.001)
    image_adapter = ImageAdapter(ImageAdapter.Options(data=data))
    rows = list(image_adapter.load_dataset("train"))
    cached = ImageAdapter(ImageAdapter.Options(data=ImageData(train=str(image_folder))))
    assert torch.equal(image_adapter.collate(rows[:4]), cached.images("train").pixels[:4])


def test_evaluation_rows_are_knn_and_linear_beside_random_init_and_raw_pixels(tmp_path: Path) -> None:
    train_images = _decoded(write_class_folder(tmp_path / "train", per_class=10))
    test_images = _decoded(write_class_folder(tmp_path / "test", per_class=5))
    image_adapter = ImageAdapter(
        ImageAdapter.Options(data=ImageData(train=str(tmp_path / "train")), encoder_config=TINY_RESNET)
    )
    encoder, _ = image_adapter.build_encoder()
    random_init, _ = image_adapter.build_encoder()
    report = image_evaluation(
        encoder, random_init, train_images, test_images, torch.device("cpu"), c_grid=[1.0]
    )
    assert list(report.metrics) == ["knn_top1", "linear_top1"]
    assert report.baselines == ("random init", "raw pixels")
    raw_train = train_images.pixels.flatten(1).float()
    raw_test = test_images.pixels.flatten(1).float()
    raw_train, raw_test = (
        raw_train - raw_train.mean(1, keepdim=True),
        raw_test - raw_test.mean(1, keepdim=True),
    )
    raw = knn_accuracy(raw_train, train_images.labels, raw_test, test_images.labels, k=20)
    assert report.metrics["knn_top1"].baselines["raw pixels"] == pytest.approx(raw)
    assert "raw pixels" not in report.metrics["linear_top1"].baselines  # no raw-pixel linear probe is fitted


def test_the_evaluation_fits_on_the_probe_subset_of_the_whole_training_split(image_folder: Path) -> None:
    data = ImageData(train=str(image_folder), train_subset=4, probe_subset=9)
    image_adapter = ImageAdapter(ImageAdapter.Options(data=data))
    everything = _decoded(image_folder).pixels
    pretraining, probe = image_adapter.images("train").pixels, image_adapter.images("probe").pixels
    assert len(pretraining) == 4 and len(probe) == 9
    rows = {tuple(image.flatten().tolist()): i for i, image in enumerate(everything)}
    assert {rows[tuple(image.flatten().tolist())] for image in pretraining} <= {
        rows[tuple(image.flatten().tolist())] for image in probe
    }  # the bank holds the pretraining images
    without = ImageAdapter(ImageAdapter.Options(data=ImageData(train=str(image_folder), train_subset=4)))
    assert without.images("probe") is without.images("train")


def _decoded(folder: Path) -> DecodedImages:
    return ImageAdapter(ImageAdapter.Options(data=ImageData(train=str(folder)))).images("train")


@pytest.mark.slow
@pytest.mark.parametrize("recipe", ["image-moco", "image-byol"])
def test_moco_and_byol_recipes_train_and_save(tmp_path: Path, recipe: str) -> None:
    train_folder = write_class_folder(tmp_path / "train", per_class=16)
    test_folder = write_class_folder(tmp_path / "test", per_class=4)
    folder = train(load_recipe(recipe, tiny_overrides(tmp_path, train_folder, test_folder)))
    encoder = load_image_encoder(folder).eval()
    assert encoder(torch.rand(2, 3, 32, 32)).shape == (2, 16)


def test_mmcl_train_writes_a_model_folder_that_plain_transformers_loads(tmp_path: Path) -> None:
    train_folder = write_class_folder(tmp_path / "train", per_class=16)
    test_folder = write_class_folder(tmp_path / "test", per_class=4)
    recipe_file = tmp_path / "tiny.yaml"
    recipe_file.write_text((RECIPES_DIR / "image-simclr.yaml").read_text())
    overrides = tiny_overrides(tmp_path, train_folder, test_folder)
    assert (
        main(["train", str(recipe_file), *(arg for override in overrides for arg in ("--set", override))])
        == 0
    )

    folder = tmp_path / "run" / "model"
    names = {path.name for path in folder.iterdir()}
    assert {
        "config.json",
        "model.safetensors",
        "preprocessor_config.json",
        "README.md",
        "metrics.json",
    } <= names
    metrics = json.loads((folder / "metrics.json").read_text())["metrics"]
    assert set(metrics) == {"knn_top1", "linear_top1"}
    card = (folder / "README.md").read_text()
    assert "Evaluated on test with frozen embeddings" in card and "| random init | raw pixels |" in card
    assert "AutoImageProcessor.from_pretrained" in (folder / "README.md").read_text()
    assert type(AutoModel.from_pretrained(folder)).__name__ == "ResNetModel"
    encoder = load_image_encoder(folder).eval()
    images = _decoded(test_folder).pixels.float() / 255
    with torch.no_grad():
        expected = encoder(images).numpy()
        pixel_values = encoder.pixel_values(images)
    np.testing.assert_allclose(features_without_mmcl(folder, pixel_values), expected, atol=1e-5)
