"""The encoder: any AutoModel backbone, normalised on the device, saved and reloaded with plain transformers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from transformers import AutoImageProcessor, AutoModel

from mmcl.adapters.image import ImageAdapter, ImageData, ImageEncoder, load_image_encoder
from mmcl.adapters.image.modeling_cifar_resnet import CifarResNetModel
from mmcl.adapters.image.vision_backbone import backbone_from_config
from tests.fixtures.without_mmcl import outputs_without_mmcl

TINY_RESNET = {
    "model_type": "resnet", "layer_type": "basic", "embedding_size": 8, "hidden_sizes": [8, 16], "depths": [1, 1],
}  # fmt: skip
TINY_BACKBONES = {
    "resnet": TINY_RESNET,
    "convnext": {"model_type": "convnext", "hidden_sizes": [8, 16], "depths": [1, 1], "num_stages": 2},
    "vit": {
        "model_type": "vit", "hidden_size": 16, "num_hidden_layers": 1, "num_attention_heads": 2,
        "intermediate_size": 32, "image_size": 32, "patch_size": 8,
    },
}  # fmt: skip


def adapter(folder: Path, **options) -> ImageAdapter:
    return ImageAdapter(ImageAdapter.Options(data=ImageData(train=str(folder)), **options))


@pytest.mark.parametrize(("name", "width"), [("resnet", 16), ("convnext", 16), ("vit", 16)])
def test_any_autoconfig_backbone_gives_flat_pooled_features(
    image_folder: Path, name: str, width: int
) -> None:
    encoder, feature_dim = adapter(image_folder, encoder_config=TINY_BACKBONES[name]).build_encoder()
    assert feature_dim == width
    assert encoder(torch.rand(3, 3, 32, 32)).shape == (3, width)


def test_features_are_the_backbone_pooler_output_of_normalised_pixels() -> None:
    backbone = backbone_from_config(TINY_RESNET).eval()
    encoder = ImageEncoder(
        backbone, image_mean=[0.4, 0.5, 0.6], image_std=[0.2, 0.25, 0.3], resolution=32
    ).eval()
    images = torch.rand(4, 3, 32, 32)
    expected = backbone(pixel_values=(images - torch.tensor([0.4, 0.5, 0.6])[:, None, None])
                        / torch.tensor([0.2, 0.25, 0.3])[:, None, None]).pooler_output.flatten(1)  # fmt: skip
    torch.testing.assert_close(encoder(images), expected)


def test_cifar_stem_keeps_32x32_maps_for_the_stages(image_folder: Path) -> None:
    encoder, _ = adapter(image_folder, encoder_config=TINY_RESNET, cifar_stem=True).build_encoder()
    assert type(encoder.backbone) is CifarResNetModel
    assert encoder.resolution == 32
    stage_input = {}
    encoder.backbone.encoder.register_forward_pre_hook(lambda module, args: stage_input.update(x=args[0]))
    encoder(torch.rand(2, 3, 32, 32))
    assert stage_input["x"].shape[-2:] == (32, 32)


def test_cifar_stem_is_refused_for_other_backbones_and_pretrained_ones(image_folder: Path) -> None:
    with pytest.raises(ValueError, match="only a resnet has a CIFAR stem"):
        backbone_from_config({"model_type": "vit", "image_size": 32, "patch_size": 4}, cifar_stem=True)
    with pytest.raises(ValueError, match="keeps the stem it was trained with"):
        adapter(image_folder, pretrained="some/model", cifar_stem=True).build_encoder()


def test_channels_last_gives_the_same_features() -> None:
    backbone = backbone_from_config(TINY_RESNET).eval()
    images = torch.rand(2, 3, 32, 32)
    plain = ImageEncoder(backbone, [0.5] * 3, [0.25] * 3, resolution=32)(images)
    fast = ImageEncoder(backbone, [0.5] * 3, [0.25] * 3, resolution=32, channels_last=True)(images)
    torch.testing.assert_close(fast, plain, atol=1e-5, rtol=1e-4)


def test_uint8_input_is_refused_with_the_conversion() -> None:
    encoder = ImageEncoder(backbone_from_config(TINY_RESNET), [0.5] * 3, [0.25] * 3, resolution=32)
    with pytest.raises(ValueError, match="divide uint8 pixels by 255"):
        encoder(torch.zeros(1, 3, 32, 32, dtype=torch.uint8))


def test_missing_model_type_is_named() -> None:
    with pytest.raises(ValueError, match=r"encoder_config\.model_type: required"):
        backbone_from_config({"hidden_sizes": [8]})


def saved_encoder(image_folder: Path, folder: Path, **options) -> ImageEncoder:
    image_adapter = adapter(image_folder, encoder_config=TINY_RESNET, image_mean=[0.4, 0.5, 0.6], **options)
    encoder, _ = image_adapter.build_encoder()
    with torch.no_grad():  # non-default BatchNorm statistics, so a reload that drops buffers would show
        encoder.train()(torch.rand(16, 3, 32, 32))
    image_adapter.save_encoder(encoder.eval(), folder)
    return encoder


def test_saved_folder_reloads_with_the_same_features(image_folder: Path, tmp_path: Path) -> None:
    encoder = saved_encoder(image_folder, tmp_path / "model", cifar_stem=True)
    assert {"config.json", "model.safetensors", "preprocessor_config.json"} <= {
        p.name for p in (tmp_path / "model").iterdir()
    }
    reloaded = load_image_encoder(tmp_path / "model").eval()
    assert type(reloaded.backbone) is CifarResNetModel
    assert reloaded.resolution == 32
    torch.testing.assert_close(reloaded.image_mean, encoder.image_mean)
    images = torch.rand(4, 3, 32, 32)
    torch.testing.assert_close(reloaded(images), encoder(images))


def test_the_saved_image_processor_reproduces_the_encoder_on_pil_images(
    image_folder: Path, tmp_path: Path
) -> None:
    encoder = saved_encoder(image_folder, tmp_path / "model")
    processor = AutoImageProcessor.from_pretrained(tmp_path / "model")
    backbone = AutoModel.from_pretrained(tmp_path / "model").eval()
    paths = sorted(image_folder.rglob("*.png"))[:4]
    pixel_values = processor(images=[Image.open(p) for p in paths], return_tensors="pt")["pixel_values"]
    uint8 = torch.stack([torch.from_numpy(np.array(Image.open(p))).permute(2, 0, 1) for p in paths])
    with torch.no_grad():
        torch.testing.assert_close(
            backbone(pixel_values=pixel_values).pooler_output.flatten(1),
            encoder(uint8.float() / 255),
            atol=1e-4,
            rtol=1e-4,
        )


def features_without_mmcl(folder: Path, pixel_values: torch.Tensor) -> np.ndarray:
    """``AutoModel.from_pretrained(folder)``'s flat pooled output in a fresh interpreter without mmcl."""
    pooled = outputs_without_mmcl(folder.parent, [folder.name], pixel_values)[folder.name]["pooled"]
    return pooled.reshape(len(pooled), -1)


def test_plain_transformers_without_mmcl_gives_the_same_pooled_features(
    image_folder: Path, tmp_path: Path
) -> None:
    encoder = saved_encoder(image_folder, tmp_path / "model")
    images = torch.rand(4, 3, 32, 32)
    with torch.no_grad():
        expected = encoder(images).numpy()
        pixel_values = encoder.pixel_values(images)
    np.testing.assert_allclose(features_without_mmcl(tmp_path / "model", pixel_values), expected, atol=1e-5)
