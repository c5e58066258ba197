"""Wall-clock and CPU time after each optimizer step, for both sides of ``image_vs_lightly.py``.

Imports only numpy and psutil (present in mmcl's and in lightly's environment). CPU time counts this
process, its live child processes (DataLoader workers) and the children that already finished, so a
pipeline that augments in worker processes pays for its workers.

Example:
    >>> clock = StepClock()
    >>> for _ in range(3):
    ...     clock.tick()
    >>> sorted(clock.summary(batch_size=256, timing_from=1))[:2]
    ['cpu_seconds', 'images_per_cpu_second']
"""

from __future__ import annotations

import time

import numpy as np
import psutil


class StepClock:
    """Call ``tick`` right after each ``optimizer.step()``; ``summary`` gives the throughput."""

    def __init__(self) -> None:
        self.process = psutil.Process()
        self.wall: list[float] = []
        self.cpu: list[float] = []

    def tick(self) -> None:
        """Record the time now."""
        own = self.process.cpu_times()
        children = sum(sum(child.cpu_times()[:2]) for child in self.process.children(recursive=True))
        self.wall.append(time.perf_counter())
        self.cpu.append(own.user + own.system + own.children_user + own.children_system + children)

    def summary(self, batch_size: int, timing_from: int) -> dict[str, float]:
        """Throughput from the end of step ``timing_from`` to the last step: the median step's images per second,
        images per wall-clock second and per CPU second over the whole span, and its CPU seconds."""
        wall, cpu = np.array(self.wall[timing_from - 1 :]), np.array(self.cpu[timing_from - 1 :])
        if len(wall) < 2:
            raise ValueError(f"need at least {timing_from + 1} steps to time, got {len(self.wall)}")
        images = (len(wall) - 1) * batch_size
        return {
            "median_step_images_per_second": batch_size / float(np.median(np.diff(wall))),
            "images_per_second": images / float(wall[-1] - wall[0]),
            "images_per_cpu_second": images / float(cpu[-1] - cpu[0]),
            "cpu_seconds": float(cpu[-1] - cpu[0]),
            "timed_steps": len(wall) - 1,
        }
