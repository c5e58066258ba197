"""Evaluation reports in which every number stands beside its baseline.

An ``EvaluationReport`` holds metrics for two columns — the model and a baseline (the raw input features, or
the same encoder at random initialisation) — and accepts a metric only with both values, so a result is never
shown alone. It prints as an aligned text table with the difference, and is written to ``metrics.json``
atomically (a temporary file, then ``os.replace``).

Example:
    >>> from mmcl.evaluation import EvaluationReport
    >>> report = EvaluationReport(model_name="SimCLR", baseline_name="random init")
    >>> report.add("knn_top1", model=0.912, baseline=0.374)
    >>> report.add("linear_top1", model=0.935, baseline=0.512)
    >>> print(report.format_table())
    metric       SimCLR  random init  difference
    knn_top1     0.9120       0.3740     +0.5380
    linear_top1  0.9350       0.5120     +0.4230
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mmcl.atomic_file import write_atomically

METRICS_JSON = "metrics.json"
"""The file name evaluation results are written to in a run folder."""


@dataclass(frozen=True)
class MetricPair:
    """One metric measured on the model and on the baseline."""

    model: float
    baseline: float

    @property
    def difference(self) -> float:
        """``model - baseline``."""
        return self.model - self.baseline


@dataclass
class EvaluationReport:
    """Metrics of a model next to the same metrics of a baseline.

    Args:
        model_name: heading of the model column (e.g. the method or checkpoint).
        baseline_name: heading of the baseline column (e.g. ``"raw features"`` or ``"random init"``).

    Example:
        >>> report = EvaluationReport(model_name="TS2Vec", baseline_name="raw features")
        >>> report.add("svm_accuracy", model=0.87, baseline=0.71)
        >>> round(report.metrics["svm_accuracy"].difference, 2)
        0.16
    """

    model_name: str = "model"
    baseline_name: str = "baseline"
    metrics: dict[str, MetricPair] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        for name, value in (("model_name", self.model_name), ("baseline_name", self.baseline_name)):
            if not isinstance(value, str) or not value.strip():
                raise ValueError(f"{name} must be a non-empty string, got {value!r}")
        if self.model_name == self.baseline_name:
            raise ValueError(f"model_name and baseline_name must differ, both are {self.model_name!r}")

    def add(self, metric: str, *, model: float, baseline: float) -> None:
        """Record ``metric`` for the model and the baseline.

        Raises:
            ValueError: the name is empty or already recorded, or a value is not a finite number.
        """
        if not isinstance(metric, str) or not metric.strip():
            raise ValueError(f"metric must be a non-empty string, got {metric!r}")
        if metric in self.metrics:
            raise ValueError(f"metric {metric!r} is already in the report")
        for column, value in (("model", model), ("baseline", baseline)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise ValueError(f"{column} value of {metric!r} must be a finite number, got {value!r}")
        self.metrics[metric] = MetricPair(model=float(model), baseline=float(baseline))

    def format_table(self, *, precision: int = 4) -> str:
        """The report as an aligned text table: metric, model, baseline and their difference.

        Args:
            precision: digits after the decimal point.
        """
        header = ["metric", self.model_name, self.baseline_name, "difference"]
        rows = [
            [
                name,
                f"{pair.model:.{precision}f}",
                f"{pair.baseline:.{precision}f}",
                f"{pair.difference:+.{precision}f}",
            ]
            for name, pair in self.metrics.items()
        ]
        table = [header, *rows]
        widths = [max(len(row[column]) for row in table) for column in range(len(header))]
        lines = []
        for row in table:
            cells = [row[0].ljust(widths[0])]
            cells += [row[column].rjust(widths[column]) for column in range(1, len(header))]
            lines.append("  ".join(cells))
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """``{"model": name, "baseline": name, "metrics": {metric: {"model": x, "baseline": y}}}``."""
        return {
            "model": self.model_name,
            "baseline": self.baseline_name,
            "metrics": {
                name: {"model": pair.model, "baseline": pair.baseline} for name, pair in self.metrics.items()
            },
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EvaluationReport:
        """The report ``to_dict`` produced.

        Raises:
            ValueError: a key is missing or a metric lacks its model or baseline value.
        """
        try:
            report = cls(model_name=data["model"], baseline_name=data["baseline"])
            for name, pair in data["metrics"].items():
                report.add(name, model=pair["model"], baseline=pair["baseline"])
        except (KeyError, TypeError, AttributeError) as error:
            raise ValueError(
                f"an evaluation report needs 'model', 'baseline' and 'metrics' "
                f"({{name: {{'model': x, 'baseline': y}}}}); missing or malformed: {error}"
            ) from error
        return report

    def write_json(self, path: str | os.PathLike[str]) -> Path:
        """Write the report as JSON to ``path`` (typically ``<run>/metrics.json``) atomically.

        Returns:
            ``path`` as a ``Path``.
        """
        text = json.dumps(self.to_dict(), indent=2) + "\n"
        return write_atomically(path, lambda temporary: temporary.write_text(text, encoding="utf-8"))

    @classmethod
    def read_json(cls, path: str | os.PathLike[str]) -> EvaluationReport:
        """Read a report written by ``write_json``.

        Raises:
            ValueError: the file is not valid JSON or not an evaluation report (the message names the file).
        """
        path = Path(path)
        try:
            return cls.from_dict(json.loads(path.read_text(encoding="utf-8")))
        except ValueError as error:
            raise ValueError(f"{path}: {error}") from error
