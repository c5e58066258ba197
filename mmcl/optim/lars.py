"""LARS: layer-wise adaptive rate scaling for large-batch training (You et al., 2017).

SimCLR trains with batches of 4096 and more; plain SGD diverges there because one learning rate does not fit
layers whose weight and gradient norms differ by orders of magnitude. LARS scales each parameter's update by
its trust ratio ``trust_coefficient * ||w|| / ||g + weight_decay * w||``. As in SimCLR and Barlow Twins,
biases and normalisation weights are usually excluded from both weight decay and adaptation: put them in a
parameter group with ``weight_decay=0.0`` and ``lars_adaptation=False`` (``build_optimizer`` does this).

Reference: Y. You, I. Gitman, B. Ginsburg, "Large Batch Training of Convolutional Networks", 2017.

Example:
    >>> import torch
    >>> from mmcl.optim.lars import LARS
    >>> model = torch.nn.Linear(4, 2)
    >>> optimizer = LARS(model.parameters(), lr=0.3, weight_decay=1e-6)
    >>> model(torch.randn(8, 4)).sum().backward()
    >>> optimizer.step()
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import torch


class LARS(torch.optim.Optimizer):
    """SGD with momentum whose per-parameter update is scaled by the LARS trust ratio.

    For each parameter ``w`` with gradient ``g``:
    ``d = g + weight_decay * w``; if the group has ``lars_adaptation``, ``d *= trust_coefficient * ||w|| / ||d||``
    (left unscaled when either norm is zero); ``buffer = momentum * buffer + d``; ``w -= lr * buffer``.

    Args:
        params: parameters or parameter groups. A group may set ``lars_adaptation`` (bool) and any of the
            hyperparameters below.
        lr: learning rate.
        momentum: momentum factor.
        weight_decay: L2 penalty added to the gradient before adaptation.
        trust_coefficient: the LARS coefficient (``eta`` in the paper).
        lars_adaptation: default for groups that do not set it.
    """

    def __init__(
        self,
        params: Iterable[torch.nn.Parameter] | Iterable[dict[str, Any]],
        lr: float,
        momentum: float = 0.9,
        weight_decay: float = 1e-6,
        trust_coefficient: float = 0.001,
        lars_adaptation: bool = True,
    ) -> None:
        if lr < 0.0:
            raise ValueError(f"LARS: lr must be >= 0, got {lr}")
        if not 0.0 <= momentum < 1.0:
            raise ValueError(f"LARS: momentum must be in [0, 1), got {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"LARS: weight_decay must be >= 0, got {weight_decay}")
        if trust_coefficient <= 0.0:
            raise ValueError(f"LARS: trust_coefficient must be > 0, got {trust_coefficient}")
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "weight_decay": weight_decay,
            "trust_coefficient": trust_coefficient,
            "lars_adaptation": lars_adaptation,
        }
        super().__init__(params, defaults)

    @torch.no_grad()
    def step(self, closure: Callable[[], torch.Tensor] | None = None) -> torch.Tensor | None:
        """Apply one update; ``closure`` re-evaluates the loss as in ``torch.optim.SGD``."""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            for parameter in group["params"]:
                if parameter.grad is None:
                    continue
                update = parameter.grad.add(parameter, alpha=group["weight_decay"])
                if group["lars_adaptation"]:
                    update.mul_(self._trust_ratio(parameter, update, group["trust_coefficient"]))
                state = self.state[parameter]
                if "momentum_buffer" not in state:
                    state["momentum_buffer"] = torch.zeros_like(parameter)
                buffer = state["momentum_buffer"]
                buffer.mul_(group["momentum"]).add_(update)
                parameter.add_(buffer, alpha=-group["lr"])
        return loss

    @staticmethod
    def _trust_ratio(parameter: torch.Tensor, update: torch.Tensor, trust_coefficient: float) -> torch.Tensor:
        parameter_norm = torch.linalg.vector_norm(parameter)
        update_norm = torch.linalg.vector_norm(update)
        ratio = trust_coefficient * parameter_norm / update_norm
        usable = (parameter_norm > 0) & (update_norm > 0)
        return torch.where(usable, ratio, torch.ones_like(ratio))
