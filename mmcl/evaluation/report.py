"""Evaluation reports in which every number stands beside its baselines.

An ``EvaluationReport`` has a model column and one or more baseline columns (the raw input features, the same
encoder at random initialisation, the base model, ...). It accepts a metric only with at least one baseline
value, so a result is never shown alone. It prints as an aligned text table with the model's difference to
each baseline, and is written to ``metrics.json`` atomically (a temporary file, then ``os.replace``).

Example:
    >>> from mmcl.evaluation import EvaluationReport
    >>> report = EvaluationReport(model_name="SimCLR", baselines=("random init",))
    >>> report.add("knn_top1", model=0.912, baseline=0.374)
    >>> report.add("linear_top1", model=0.935, baseline=0.512)
    >>> print(report.format_table())
    metric       SimCLR  random init  difference
    knn_top1     0.9120       0.3740     +0.5380
    linear_top1  0.9350       0.5120     +0.4230
    >>> report = EvaluationReport(model_name="TS2Vec", baselines=("random init", "raw series"))
    >>> report.add("svm_accuracy", model=0.91, baseline={"random init": 0.85, "raw series": 0.92})
    >>> report.add("svm_accuracy@10%labels", model=0.73, baseline={"raw series": 0.68})
    >>> print(report.format_table(precision=2))
    metric                  TS2Vec  random init  raw series  vs random init  vs raw series
    svm_accuracy              0.91         0.85        0.92           +0.06          -0.01
    svm_accuracy@10%labels    0.73            —        0.68               —          +0.05
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mmcl.atomic_file import write_atomically

METRICS_JSON = "metrics.json"
"""The file name evaluation results are written to in a run folder."""

MISSING = "—"
"""Shown in the table where a metric has no value for a baseline column."""


@dataclass(frozen=True)
class MetricRow:
    """One metric measured on the model and on some of the report's baselines (by column name)."""

    model: float
    baselines: dict[str, float]

    def difference(self, baseline: str) -> float:
        """``model - baselines[baseline]``."""
        return self.model - self.baselines[baseline]


@dataclass
class EvaluationReport:
    """Metrics of a model next to the same metrics of its baselines.

    Args:
        model_name: heading of the model column (e.g. the method or checkpoint).
        baselines: headings of the baseline columns (e.g. ``("random init", "raw features")``).

    Example:
        >>> report = EvaluationReport(model_name="TS2Vec", baselines=("raw features",))
        >>> report.add("svm_accuracy", model=0.87, baseline=0.71)
        >>> round(report.metrics["svm_accuracy"].difference("raw features"), 2)
        0.16
    """

    model_name: str = "model"
    baselines: tuple[str, ...] = ("baseline",)
    metrics: dict[str, MetricRow] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        if isinstance(self.baselines, str):
            raise ValueError(
                f"baselines must be a sequence of column names, got the string {self.baselines!r}"
            )
        self.baselines = tuple(self.baselines)
        if not self.baselines:
            raise ValueError("baselines must name at least one column (a number is never shown alone)")
        columns = (self.model_name, *self.baselines)
        for value in columns:
            if not isinstance(value, str) or not value.strip():
                raise ValueError(f"column names must be non-empty strings, got {value!r}")
        if len(set(columns)) != len(columns):
            raise ValueError(f"column names must differ, got {list(columns)}")

    def add(self, metric: str, *, model: float, baseline: float | Mapping[str, float]) -> None:
        """Record ``metric`` for the model and its baselines.

        Args:
            metric: the metric's name.
            model: the model's value.
            baseline: the value of the report's only baseline, or ``{baseline column: value}`` for one or more
                of its baselines.

        Raises:
            ValueError: the name is empty or already recorded, a value is not a finite number, a baseline
                column is unknown, or no baseline value is given.
        """
        if not isinstance(metric, str) or not metric.strip():
            raise ValueError(f"metric must be a non-empty string, got {metric!r}")
        if metric in self.metrics:
            raise ValueError(f"metric {metric!r} is already in the report")
        if not isinstance(baseline, Mapping):
            if len(self.baselines) != 1:
                raise ValueError(
                    f"the report has baselines {list(self.baselines)}: pass baseline={{column: value}} for "
                    f"{metric!r}"
                )
            baseline = {self.baselines[0]: baseline}
        if not baseline:
            raise ValueError(f"{metric!r} needs a value for at least one baseline of {list(self.baselines)}")
        unknown = sorted(set(baseline) - set(self.baselines))
        if unknown:
            raise ValueError(
                f"{metric!r}: unknown baseline columns {unknown}; the report has {list(self.baselines)}"
            )
        labelled = [
            ("model", model),
            *((f"baseline {column!r}", value) for column, value in baseline.items()),
        ]
        for column, value in labelled:
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise ValueError(f"{column} value of {metric!r} must be a finite number, got {value!r}")
        values = {column: float(baseline[column]) for column in self.baselines if column in baseline}
        self.metrics[metric] = MetricRow(model=float(model), baselines=values)

    def baseline_values(self, baseline: str) -> dict[str, float]:
        """``{metric: value}`` of the metrics that have a value for the column ``baseline``."""
        return {
            name: row.baselines[baseline] for name, row in self.metrics.items() if baseline in row.baselines
        }

    def format_table(self, *, precision: int = 4) -> str:
        """The report as an aligned text table: metric, model, each baseline and the differences to them.

        Args:
            precision: digits after the decimal point.
        """

        def number(value: float | None, sign: str = "") -> str:
            return MISSING if value is None else f"{value:{sign}.{precision}f}"

        single = len(self.baselines) == 1
        header = ["metric", self.model_name, *self.baselines]
        header += ["difference"] if single else [f"vs {name}" for name in self.baselines]
        table = [header]
        for name, row in self.metrics.items():
            cells = [name, number(row.model)]
            cells += [number(row.baselines.get(column)) for column in self.baselines]
            cells += [
                number(row.difference(column) if column in row.baselines else None, "+")
                for column in self.baselines
            ]
            table.append(cells)
        widths = [max(len(row[column]) for row in table) for column in range(len(header))]
        lines = []
        for row in table:
            cells = [row[0].ljust(widths[0])]
            cells += [row[column].rjust(widths[column]) for column in range(1, len(header))]
            lines.append("  ".join(cells))
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """``{"model": name, "baselines": [names], "metrics": {metric: {"model": x, "baselines": {name: y}}}}``."""
        return {
            "model": self.model_name,
            "baselines": list(self.baselines),
            "metrics": {
                name: {"model": row.model, "baselines": dict(row.baselines)}
                for name, row in self.metrics.items()
            },
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EvaluationReport:
        """The report ``to_dict`` produced.

        Raises:
            ValueError: a key is missing or a metric lacks its model or baseline values.
        """
        try:
            report = cls(model_name=data["model"], baselines=tuple(data["baselines"]))
            for name, row in data["metrics"].items():
                report.add(name, model=row["model"], baseline=dict(row["baselines"]))
        except (KeyError, TypeError, AttributeError) as error:
            raise ValueError(
                f"an evaluation report needs 'model', 'baselines' and 'metrics' "
                f"({{name: {{'model': x, 'baselines': {{column: y}}}}}}); missing or malformed: {error}"
            ) from error
        return report

    def write_json(self, path: str | os.PathLike[str]) -> Path:
        """Write the report as JSON to ``path`` (typically ``<run>/metrics.json``) atomically.

        Returns:
            ``path`` as a ``Path``.
        """
        text = json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"
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
