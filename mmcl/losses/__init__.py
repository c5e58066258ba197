"""Contrastive and non-contrastive losses: functional forms and ``nn.Module`` wrappers.

Example:
    >>> import torch
    >>> from mmcl.losses import nt_xent
    >>> loss = nt_xent(torch.randn(64, 128), torch.randn(64, 128), temperature=0.5)
"""

from mmcl.losses.byol import BYOLLoss, byol_loss
from mmcl.losses.cosent import CoSENTLoss, cosent_loss
from mmcl.losses.hierarchical import hierarchical_contrastive_loss
from mmcl.losses.info_nce import InfoNCELoss, LearnableTemperature, NTXentLoss, info_nce, nt_xent
from mmcl.losses.triplet import TripletLoss, mined_triplet_loss, triplet_loss

__all__ = [
    "BYOLLoss",
    "CoSENTLoss",
    "InfoNCELoss",
    "LearnableTemperature",
    "NTXentLoss",
    "TripletLoss",
    "byol_loss",
    "cosent_loss",
    "hierarchical_contrastive_loss",
    "info_nce",
    "mined_triplet_loss",
    "nt_xent",
    "triplet_loss",
]
