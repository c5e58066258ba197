"""BYOL's normalised regression loss.

Reference:
    Grill et al., "Bootstrap Your Own Latent: A New Approach to Self-Supervised Learning", NeurIPS 2020.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from mmcl.losses.precision import at_least_float32
from mmcl.losses.validation import check_embeddings, check_same_shape, raise_if_not_finite


def byol_loss(prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean over rows of ``2 - 2 * cos(prediction, target)`` (the squared distance of unit vectors).

    ``target`` should come from a network that gets no gradient (BYOL's EMA target) or be detached
    (SimSiam's stop-gradient); this function does not detach it for you.

    Example:
        >>> loss = byol_loss(torch.randn(16, 256), torch.randn(16, 256))
    """
    check_embeddings("prediction", prediction)
    check_embeddings("target", target)
    check_same_shape("prediction", prediction, "target", target)
    with torch.autocast(device_type=prediction.device.type, enabled=False):
        cosine = F.cosine_similarity(at_least_float32(prediction), at_least_float32(target), dim=-1)
        loss = (2 - 2 * cosine).mean()
    return raise_if_not_finite(loss, prediction=prediction, target=target)


class BYOLLoss(nn.Module):
    """``byol_loss`` as a module.

    Example:
        >>> loss = BYOLLoss()(torch.randn(16, 256), torch.randn(16, 256))
    """

    def forward(self, prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return byol_loss(prediction, target)
