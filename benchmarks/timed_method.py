"""An mmcl method that ticks a `StepClock` right after each optimizer step, for the side-by-side benchmarks.

Example:
    >>> from step_clock import StepClock
    >>> timed_method("simclr", StepClock())
    'timed-simclr'
"""

from __future__ import annotations

from step_clock import StepClock  # a sibling benchmark module, not a package

from mmcl.methods import METHODS, register_method


def timed_method(name: str, clock: StepClock) -> str:
    """Register a copy of the mmcl method ``name`` that ticks ``clock`` in ``on_step_end`` (the engine calls it
    right after ``optimizer.step()``); the copy's registry name, for the recipe's ``method.name``."""

    class Timed(METHODS[name]):
        def on_step_end(self, step: int) -> None:
            super().on_step_end(step)
            clock.tick()

    register_method(f"timed-{name}", Timed)
    return f"timed-{name}"
