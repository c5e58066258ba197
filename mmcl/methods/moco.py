"""MoCo v2 (momentum queue of EMA keys) and MoCo v3 (symmetric, in-batch EMA keys, predictor).

References:
    He et al., "Momentum Contrast for Unsupervised Visual Representation Learning", CVPR 2020.
    Chen et al., "Improved Baselines with Momentum Contrastive Learning", 2020 (v2).
    Chen, Xie, He, "An Empirical Study of Training Self-Supervised Vision Transformers", ICCV 2021 (v3).
"""

from __future__ import annotations

from typing import Any, Literal

import torch
from torch import nn

from mmcl.distributed import shuffle_across_processes, unshuffle_across_processes
from mmcl.ema import EMA
from mmcl.heads import MLPHead
from mmcl.losses import info_nce
from mmcl.methods.base import ContrastiveMethod, embedding_std
from mmcl.queue import MomentumQueue

_DEFAULTS = {
    # version: projection layers, BatchNorm in heads, output BN, queue size, momentum, schedule, temperature
    "v2": {"num_layers": 2, "batch_norm": False, "output_batch_norm": False, "queue_size": 65536,
           "momentum": 0.999, "momentum_schedule": "constant", "temperature": 0.2},
    "v3": {"num_layers": 3, "batch_norm": True, "output_batch_norm": True, "queue_size": 0,
           "momentum": 0.99, "momentum_schedule": "cosine", "temperature": 0.2},
}  # fmt: skip


class MoCo(ContrastiveMethod):
    """MoCo over any encoder.

    - ``version="v2"``: query = projection(encoder(view_a)); key = EMA(encoder + projection)(view_b) with
      shuffled BatchNorm across processes; negatives = the momentum queue. With ``symmetric=True`` the
      views swap roles too and both directions' keys are enqueued.
    - ``version="v3"``: a predictor on top of the projection, symmetric loss, the keys of the whole
      (gathered) batch as negatives, no queue unless ``queue_size`` is given.

    The queue is read by every loss term of a step first; the step's keys are enqueued in ``on_step_end``,
    after the optimizer step, together with the EMA update.

    Example:
        >>> encoder = nn.Sequential(nn.Flatten(), nn.Linear(64, 32))
        >>> method = MoCo(encoder, feature_dim=32, projection_dim=16, hidden_dim=64, queue_size=128)
        >>> loss, logs = method(torch.randn(8, 64), torch.randn(8, 64))
        >>> method.on_step_end(step=0)  # EMA update + enqueue 8 keys
    """

    def __init__(
        self,
        encoder: nn.Module,
        feature_dim: int,
        *,
        version: Literal["v2", "v3"] = "v2",
        projection_dim: int = 128,
        hidden_dim: int = 2048,
        temperature: float | None = None,
        queue_size: int | None = None,
        momentum: float | None = None,
        momentum_schedule: Literal["constant", "cosine"] | None = None,
        total_steps: int | None = None,
        symmetric: bool | None = None,
        shuffle_batch_norm: bool = True,
    ) -> None:
        super().__init__()
        if version not in _DEFAULTS:
            raise ValueError(f"version must be 'v2' or 'v3', got {version!r}")
        defaults = _DEFAULTS[version]
        self.version = version
        self.temperature = defaults["temperature"] if temperature is None else temperature
        self.symmetric = version == "v3" if symmetric is None else symmetric
        self.shuffle_batch_norm = shuffle_batch_norm and version == "v2"
        self.encoder = encoder
        self.projection = MLPHead(
            feature_dim,
            hidden_dim,
            projection_dim,
            num_layers=defaults["num_layers"],
            batch_norm=defaults["batch_norm"],
            output_batch_norm=defaults["output_batch_norm"],
        )
        self.prediction = (
            MLPHead(projection_dim, hidden_dim, projection_dim, output_batch_norm=False)
            if version == "v3"
            else None
        )
        self.key_encoder = EMA(
            nn.Sequential(encoder, self.projection),
            defaults["momentum"] if momentum is None else momentum,
            schedule=momentum_schedule or defaults["momentum_schedule"],
            total_steps=total_steps,
        )
        size = defaults["queue_size"] if queue_size is None else queue_size
        self.queue = MomentumQueue(size, projection_dim) if size else None
        self._pending_keys: list[torch.Tensor] = []

    def _query(self, view: Any) -> torch.Tensor:
        z = self.projection(self.encoder(view))
        return self.prediction(z) if self.prediction is not None else z

    @torch.no_grad()
    def _key(self, view: Any) -> torch.Tensor:
        if self.shuffle_batch_norm and isinstance(view, torch.Tensor):
            shuffled, permutation = shuffle_across_processes(view)
            return unshuffle_across_processes(self.key_encoder(shuffled), permutation)
        return self.key_encoder(view)

    def _contrast(
        self, query: torch.Tensor, key: torch.Tensor, negatives: torch.Tensor | None
    ) -> torch.Tensor:
        # v3 contrasts against the keys of the whole batch (gathered); v2 against the queue only needs
        # the local keys for the positives, as in the reference implementation.
        return info_nce(
            query, key, temperature=self.temperature, negatives=negatives, gather=self.version == "v3"
        )

    def forward(self, view_a: Any, view_b: Any) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        negatives = self.queue.read() if self.queue is not None and len(self.queue) else None
        query_a = self._query(view_a)
        key_b = self._key(view_b)
        loss = self._contrast(query_a, key_b, negatives)
        keys = [key_b]
        if self.symmetric:
            key_a = self._key(view_a)
            loss = (loss + self._contrast(self._query(view_b), key_a, negatives)) / 2
            keys.append(key_a)
        if self.queue is not None and self.training:
            self._pending_keys.extend(torch.nn.functional.normalize(k.float(), dim=-1) for k in keys)
        return loss, {"loss": loss.detach(), "embedding_std": embedding_std(query_a)}

    def on_step_end(self, step: int) -> None:
        self.key_encoder.update(step)
        if self.queue is not None and self._pending_keys:
            self.queue.enqueue(torch.cat(self._pending_keys))
            self._pending_keys.clear()

    def set_total_steps(self, total_steps: int) -> None:
        self.key_encoder.set_total_steps(total_steps)
