"""Optimizers and learning-rate schedules for contrastive pre-training.

Example:
    >>> import torch
    >>> from mmcl.optim import LARSOptions, ScheduleOptions, build_optimizer, build_scheduler
    >>> model = torch.nn.Linear(4, 2)
    >>> optimizer = build_optimizer(model, LARSOptions(lr=0.3))
    >>> scheduler = build_scheduler(optimizer, ScheduleOptions(warmup_steps=10), total_steps=100)
"""

from mmcl.optim.build import AdamWOptions, LARSOptions, OptimizerOptions, SGDOptions, build_optimizer
from mmcl.optim.lars import LARS
from mmcl.optim.schedules import ScheduleOptions, WarmupThenDecay, build_scheduler

__all__ = [
    "LARS",
    "AdamWOptions",
    "LARSOptions",
    "OptimizerOptions",
    "SGDOptions",
    "ScheduleOptions",
    "WarmupThenDecay",
    "build_optimizer",
    "build_scheduler",
]
