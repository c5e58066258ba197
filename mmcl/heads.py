"""Projection and prediction MLPs in the shapes of SimCLR, MoCo v2 / v3 and BYOL."""

from __future__ import annotations

import itertools

from torch import nn


class MLPHead(nn.Sequential):
    """``num_layers`` linear layers with ReLU between them; BatchNorm after every hidden layer when
    ``batch_norm`` and after the output when ``output_batch_norm`` (without affine, as MoCo v3 does).

    Example:
        >>> head = MLPHead(512, 2048, 128)              # SimCLR: 512 -> 2048 -> 128
        >>> moco_v3 = MLPHead(512, 4096, 256, num_layers=3, output_batch_norm=True)
    """

    def __init__(
        self,
        in_dim: int,
        hidden_dim: int,
        out_dim: int,
        *,
        num_layers: int = 2,
        batch_norm: bool = True,
        output_batch_norm: bool = False,
    ) -> None:
        if num_layers < 1:
            raise ValueError(f"num_layers must be >= 1, got {num_layers}")
        dims = [in_dim] + [hidden_dim] * (num_layers - 1) + [out_dim]
        layers: list[nn.Module] = []
        for index, (fan_in, fan_out) in enumerate(itertools.pairwise(dims)):
            last = index == num_layers - 1
            layers.append(nn.Linear(fan_in, fan_out, bias=not (batch_norm and not last)))
            if not last:
                if batch_norm:
                    layers.append(nn.BatchNorm1d(fan_out))
                layers.append(nn.ReLU(inplace=True))
            elif output_batch_norm:
                layers.append(nn.BatchNorm1d(fan_out, affine=False))
        super().__init__(*layers)
        self.in_dim, self.out_dim = in_dim, out_dim
