"""Where training metrics go: ``metrics.jsonl`` (always), Accelerate trackers, and a progress bar.

Only the main process writes. Each ``log`` call appends one JSON object per line to ``metrics.jsonl`` —
``{"step": 10, "loss": 5.1, "lr": 0.001, "samples_per_second": 812.4, ...}`` — and forwards the same values to
the trackers configured on the ``Accelerator`` (TensorBoard, W&B, ...). A resumed run first drops the rows
written after its checkpoint by the interrupted run, so the file reads as one uninterrupted run.

Example:
    >>> log = MetricsLog(accelerator, Path("runs/tiny"), total_steps=100, start_step=0)  # doctest: +SKIP
    >>> log.log(10, {"loss": 5.1, "lr": 1e-3, "samples_per_second": 812.4})  # doctest: +SKIP
    >>> log.close()  # doctest: +SKIP
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from accelerate import Accelerator
from tqdm.auto import tqdm

METRICS_FILE = "metrics.jsonl"


class MetricsLog:
    """Metrics of one run, from the main process.

    Args:
        accelerator: the run's accelerator (trackers already initialised with ``init_trackers``).
        output_dir: the run folder; ``metrics.jsonl`` goes there.
        total_steps: optimizer steps of the whole run (progress bar length).
        start_step: the step the run starts (or resumes) from; rows after it are dropped from the file.
        progress_bar: show the bar (on the main process only).
    """

    def __init__(
        self,
        accelerator: Accelerator,
        output_dir: Path,
        *,
        total_steps: int,
        start_step: int,
        progress_bar: bool = True,
    ) -> None:
        self.accelerator = accelerator
        self.path = output_dir / METRICS_FILE
        self.bar = None
        if not accelerator.is_main_process:
            return
        output_dir.mkdir(parents=True, exist_ok=True)
        self._drop_rows_after(start_step)
        if progress_bar:
            self.bar = tqdm(total=total_steps, initial=start_step, desc="train", dynamic_ncols=True)

    def log(self, step: int, values: dict[str, float]) -> None:
        """Record ``values`` at optimizer step ``step``."""
        if not self.accelerator.is_main_process:
            return
        row = {"step": step, **values, "time": time.time()}
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(row) + "\n")
        self.accelerator.log(values, step=step)

    def advance(self, step: int, postfix: dict[str, float] | None = None) -> None:
        """Move the progress bar to ``step`` and, when given, show ``postfix`` (loss, lr, samples/s)."""
        if self.bar is None:
            return
        self.bar.update(step - self.bar.n)
        if postfix:
            self.bar.set_postfix({key: f"{value:.4g}" for key, value in postfix.items()}, refresh=False)

    def close(self) -> None:
        """Close the progress bar (the trackers end with ``accelerator.end_training()``)."""
        if self.bar is not None:
            self.bar.close()

    def _drop_rows_after(self, step: int) -> None:
        if not self.path.exists():
            return
        lines = self.path.read_text(encoding="utf-8").splitlines()
        kept = [line for line in lines if line.strip() and json.loads(line)["step"] <= step]
        self.path.write_text("".join(line + "\n" for line in kept), encoding="utf-8")
