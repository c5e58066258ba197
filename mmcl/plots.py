"""PNG figures of a run and of its evaluation: training curves, label-efficiency curves, embedding maps.

Figures are drawn with matplotlib's object-oriented API on the Agg canvas (no ``pyplot``, no display, no
global backend switch) and written atomically: each function writes a temporary file beside the target and
renames it into place, then returns the target path.

Example:
    >>> from mmcl.plots import plot_training_curves
    >>> plot_training_curves("runs/tiny/metrics.jsonl", "runs/tiny/loss.png")  # doctest: +SKIP
    PosixPath('runs/tiny/loss.png')
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from sklearn.decomposition import PCA
from sklearn.manifold import TSNE

from mmcl.atomic_file import write_atomically
from mmcl.evaluation.inputs import EmbeddingsLike, LabelsLike, embeddings_as_numpy, labels_as_numpy
from mmcl.evaluation.label_efficiency import LabelEfficiencyCurve

DPI = 120


def plot_training_curves(
    log_path: str | os.PathLike[str],
    output_path: str | os.PathLike[str],
    *,
    keys: Sequence[str] = ("loss", "lr"),
    title: str | None = None,
) -> Path:
    """One panel per logged quantity against the optimizer step, from a run's JSONL log.

    Each line of the log is a JSON object with a ``step`` and some of ``keys`` (``metrics.jsonl`` as written
    by training: ``{"step": 10, "loss": 5.1, "lr": 0.001, ...}``); rows without a key are skipped in that
    key's panel, so evaluation rows can share the file.

    Args:
        log_path: the JSONL file.
        output_path: the PNG to write.
        keys: the quantities to draw, one panel each (default: loss and learning rate).
        title: figure title (default: the log's folder name).

    Returns:
        ``output_path`` as a ``Path``.

    Raises:
        ValueError: a line is not a JSON object, or a key never appears with a step (the message names the
            file and line).

    Example:
        >>> plot_training_curves("runs/tiny/metrics.jsonl", "runs/tiny/curves.png")  # doctest: +SKIP
    """
    log_path = Path(log_path)
    rows = _read_jsonl(log_path)
    figure = _figure(width=4.5 * len(keys), height=3.4, panels=len(keys))
    for axes, key in zip(figure.axes, keys, strict=True):
        points = [(row["step"], row[key]) for row in rows if "step" in row and _is_number(row.get(key))]
        if not points:
            raise ValueError(f"{log_path}: no line has both 'step' and a number under {key!r}")
        steps, values = zip(*sorted(points), strict=True)
        axes.plot(steps, values, linewidth=1.2)
        axes.set_xlabel("step")
        axes.set_ylabel(key)
        axes.grid(alpha=0.3)
        if key == "lr":
            axes.ticklabel_format(axis="y", style="sci", scilimits=(-3, 3))
    figure.suptitle(title if title is not None else log_path.parent.name or str(log_path))
    return _save(figure, output_path)


def plot_label_efficiency(
    model: LabelEfficiencyCurve,
    baseline: LabelEfficiencyCurve,
    output_path: str | os.PathLike[str],
    *,
    model_name: str = "model",
    baseline_name: str = "baseline",
    title: str | None = None,
) -> Path:
    """Accuracy against the share of training labels: mean line with a ±1 std band, model beside baseline.

    Args:
        model: the curve of the evaluated encoder.
        baseline: the curve of the baseline (raw features, random init, ...).
        output_path: the PNG to write.
        model_name: legend entry of ``model``.
        baseline_name: legend entry of ``baseline``.
        title: figure title (default: names the probe).

    Returns:
        ``output_path`` as a ``Path``.

    Example:
        >>> from mmcl.evaluation import label_efficiency_curve
        >>> model = label_efficiency_curve(z_train, y_train, z_test, y_test)  # doctest: +SKIP
        >>> baseline = label_efficiency_curve(raw_train, y_train, raw_test, y_test)  # doctest: +SKIP
        >>> plot_label_efficiency(model, baseline, "label_efficiency.png", baseline_name="raw features")  # doctest: +SKIP
    """
    figure = _figure(width=5.5, height=4.0)
    axes = figure.axes[0]
    for curve, name in ((model, model_name), (baseline, baseline_name)):
        percent = 100 * np.asarray(curve.fractions)
        line = axes.plot(percent, 100 * curve.mean, marker="o", label=name)[0]
        axes.fill_between(
            percent,
            100 * (curve.mean - curve.std),
            100 * (curve.mean + curve.std),
            color=line.get_color(),
            alpha=0.2,
        )
    fractions = sorted({*model.fractions, *baseline.fractions})
    if fractions[-1] / fractions[0] >= 10:
        axes.set_xscale("log")
    axes.set_xticks(
        [100 * fraction for fraction in fractions], [f"{100 * fraction:g}%" for fraction in fractions]
    )
    axes.set_xlabel("training labels used")
    axes.set_ylabel("test accuracy (%)")
    axes.grid(alpha=0.3)
    axes.legend()
    axes.set_title(
        title if title is not None else f"label efficiency ({model.probe} probe, mean ± std over seeds)"
    )
    return _save(figure, output_path)


def plot_embedding_map(
    embeddings: EmbeddingsLike,
    labels: LabelsLike,
    output_path: str | os.PathLike[str],
    *,
    method: Literal["pca", "tsne"] = "pca",
    max_points: int = 5000,
    seed: int = 0,
    title: str | None = None,
) -> Path:
    """A 2-D map of embeddings (PCA, or t-SNE from scikit-learn), one colour per label.

    Args:
        embeddings: ``(N, D)`` tensor or array, ``N >= 3`` and ``D >= 2``.
        labels: ``N`` integer class ids.
        output_path: the PNG to write.
        method: ``"pca"`` (fast, linear) or ``"tsne"`` (slow; perplexity ``min(30, (n - 1) / 3)``).
        max_points: a random subset of this many rows is drawn when there are more.
        seed: seeds the subset and t-SNE.
        title: figure title (default: names the method).

    Returns:
        ``output_path`` as a ``Path``.

    Raises:
        ValueError: shapes or lengths are wrong, or ``method`` is unknown.

    Example:
        >>> import torch
        >>> plot_embedding_map(torch.randn(300, 64), torch.arange(300) % 3, "map.png")  # doctest: +SKIP
    """
    if method not in ("pca", "tsne"):
        raise ValueError(f"method must be 'pca' or 'tsne', got {method!r}")
    points = embeddings_as_numpy("embeddings", embeddings)
    classes = labels_as_numpy("labels", labels, rows=points.shape[0])
    if points.shape[0] < 3 or points.shape[1] < 2:
        raise ValueError(
            f"embeddings need at least 3 rows and 2 dimensions for a 2-D map, got {points.shape}"
        )
    if isinstance(max_points, bool) or not isinstance(max_points, int) or max_points < 3:
        raise ValueError(f"max_points must be an integer >= 3, got {max_points!r}")
    if points.shape[0] > max_points:
        keep = np.sort(np.random.default_rng(seed).choice(points.shape[0], size=max_points, replace=False))
        points, classes = points[keep], classes[keep]
    if method == "pca":
        coordinates = PCA(n_components=2, random_state=seed).fit_transform(points)
    else:
        perplexity = min(30.0, (points.shape[0] - 1) / 3)
        coordinates = TSNE(
            n_components=2, perplexity=perplexity, init="pca", random_state=seed
        ).fit_transform(points)

    figure = _figure(width=5.5, height=5.0)
    axes = figure.axes[0]
    unique = np.unique(classes)
    colormap = "tab10" if unique.size <= 10 else "tab20" if unique.size <= 20 else "viridis"
    scatter = axes.scatter(
        coordinates[:, 0],
        coordinates[:, 1],
        c=np.searchsorted(unique, classes),
        cmap=colormap,
        s=6,
        alpha=0.8,
    )
    if unique.size <= 20:
        handles = scatter.legend_elements(num=None)[0]
        axes.legend(
            handles, [str(label) for label in unique], title="label", fontsize="small", markerscale=0.8
        )
    else:
        figure.colorbar(scatter, ax=axes, label="label index")
    axes.set_xticks([])
    axes.set_yticks([])
    axes.set_title(title if title is not None else f"embeddings ({method.upper()}, {points.shape[0]} points)")
    return _save(figure, output_path)


def _read_jsonl(path: Path) -> list[dict]:
    rows = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as error:
                raise ValueError(f"{path}, line {number}: not valid JSON ({error.msg})") from error
            if not isinstance(row, dict):
                raise ValueError(f"{path}, line {number}: expected a JSON object, got {type(row).__name__}")
            rows.append(row)
    return rows


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and np.isfinite(value)


def _figure(*, width: float, height: float, panels: int = 1) -> Figure:
    figure = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(figure)
    figure.subplots(1, panels, squeeze=False)
    return figure


def _save(figure: Figure, output_path: str | os.PathLike[str]) -> Path:
    return write_atomically(output_path, lambda temporary: figure.savefig(temporary, format="png", dpi=DPI))
