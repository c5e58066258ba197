"""Wall-clock and CPU time after each optimizer step, for both sides of the side-by-side benchmarks.

Imports only numpy and psutil (present in mmcl's environment and in lightly's, see ``image_vs_lightly.py``).
CPU time counts this process, its live child processes (DataLoader workers) and the children that already
finished, so a pipeline that prepares batches in worker processes pays for its workers.

Example:
    >>> clock = StepClock()
    >>> for _ in range(3):
    ...     clock.tick()
    >>> sorted(clock.summary(samples_per_step=256, timing_from=1))[:2]
    ['cpu_seconds', 'median_step_samples_per_cpu_second']
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

    def summary(self, samples_per_step: int, timing_from: int) -> dict[str, float]:
        """Throughput from the end of step ``timing_from`` to the last step: samples per wall-clock and per CPU
        second of the median step (robust to steps slowed by other jobs on a shared machine) and over the
        whole span, the span's CPU seconds and its number of steps."""
        wall, cpu = np.array(self.wall[timing_from - 1 :]), np.array(self.cpu[timing_from - 1 :])
        if len(wall) < 2:
            raise ValueError(f"need at least {timing_from + 1} steps to time, got {len(self.wall)}")
        samples = (len(wall) - 1) * samples_per_step
        return {
            "median_step_samples_per_second": samples_per_step / float(np.median(np.diff(wall))),
            "median_step_samples_per_cpu_second": samples_per_step / float(np.median(np.diff(cpu))),
            "samples_per_second": samples / float(wall[-1] - wall[0]),
            "samples_per_cpu_second": samples / float(cpu[-1] - cpu[0]),
            "cpu_seconds": float(cpu[-1] - cpu[0]),
            "timed_steps": len(wall) - 1,
        }
