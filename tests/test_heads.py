import torch
from torch import nn

from mmcl.heads import MLPHead


def test_simclr_shape():
    head = MLPHead(512, 2048, 128)
    kinds = [type(m) for m in head]
    assert kinds == [nn.Linear, nn.BatchNorm1d, nn.ReLU, nn.Linear]
    assert head[0].bias is None and head[3].bias is not None  # no bias before BatchNorm
    assert head(torch.randn(4, 512)).shape == (4, 128)


def test_moco_v2_has_no_batchnorm_and_v3_ends_with_affine_free_batchnorm():
    v2 = MLPHead(512, 2048, 128, batch_norm=False)
    assert [type(m) for m in v2] == [nn.Linear, nn.ReLU, nn.Linear]
    v3 = MLPHead(512, 4096, 256, num_layers=3, output_batch_norm=True)
    assert len([m for m in v3 if isinstance(m, nn.Linear)]) == 3
    assert isinstance(v3[-1], nn.BatchNorm1d) and not v3[-1].affine


def test_single_layer_is_linear():
    assert [type(m) for m in MLPHead(8, 16, 4, num_layers=1)] == [nn.Linear]
