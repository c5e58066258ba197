"""The UCR protocol on ECG200 and TwoLeadECG for the ECG recipes, mean ± std over seeds, vs published floors.

Run:  python benchmarks/ucr_ecg.py [--recipes ecg-pretrain ...] [--seeds 0 1 2] [--set KEY=VALUE ...]
                                   [--output-dir runs/benchmarks/ucr_ecg]

Each recipe is trained once per seed through the engine (``mmcl.train.train`` with ``train.seed=<seed>``),
exactly as ``mmcl train`` runs it: pretraining on the shipped training series only, then the adapter's UCR
protocol (frozen encoder, max-pooled representation, RBF SVM with ``C`` by CV on train) on the test splits.
The table gives, per data set, the mean ± std over seeds of the trained encoder, the same encoder at random
init and the raw series through the same SVM, the accuracy with 10 % of the training labels, and the
published references: 1-NN Euclidean on the raw series (the UCR archive's floor), T-Loss (``results_ucr.csv``
of its official repository) and TS2Vec's official code run on these files on this machine (3 seeds).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from mmcl.recipe import load_recipe
from mmcl.train import train

REFERENCES = {
    "ECG200": {"1-NN raw (floor)": 0.880, "T-Loss": 0.940, "TS2Vec official": 0.880},
    "TwoLeadECG": {"1-NN raw (floor)": 0.747, "T-Loss": 0.999, "TS2Vec official": 0.985},
}
COLUMNS = (
    ("trained", "{set}/svm_accuracy", None),
    ("random init", "{set}/svm_accuracy", "random init"),
    ("raw series SVM", "{set}/svm_accuracy", "raw series"),
    ("trained @10%", "{set}/svm_accuracy@10%labels", None),
    ("random @10%", "{set}/svm_accuracy@10%labels", "random init"),
)
"""(table heading, metric, baseline column of metrics.json or None for the model)"""


def run(recipe_name: str, seed: int, overrides: list[str], output_dir: Path) -> tuple[dict, float]:
    """Train ``recipe_name`` with ``seed``; its metrics.json as a dict and the wall time in seconds."""
    folder = output_dir / f"{recipe_name}-seed{seed}"
    recipe = load_recipe(
        recipe_name,
        [
            *overrides,
            f"train.seed={seed}",
            "train.progress_bar=false",
            f"output.dir={folder}",
            "output.trackers=[]",
        ],
    )
    start = time.perf_counter()
    model_folder = train(recipe)
    return json.loads((model_folder / "metrics.json").read_text())["metrics"], time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--recipes", nargs="+", default=["ecg-pretrain"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--output-dir", type=Path, default=Path("runs/benchmarks/ucr_ecg"))
    arguments = parser.parse_args()

    lines = []
    for recipe_name in arguments.recipes:
        results = [
            run(recipe_name, seed, arguments.overrides, arguments.output_dir) for seed in arguments.seeds
        ]
        seconds = np.mean([wall for _, wall in results])
        lines.append(
            f"\n{recipe_name} {' '.join(arguments.overrides)}  seeds {arguments.seeds}, {seconds:.0f} s per run"
        )
        header = ["data set", *(name for name, _, _ in COLUMNS), *REFERENCES["ECG200"]]
        rows = [header]
        for data_set, references in REFERENCES.items():
            row = [data_set]
            for _, key, column in COLUMNS:
                entries = [metrics[key.format(set=data_set)] for metrics, _ in results]
                values = [
                    entry["model"] if column is None else entry["baselines"][column] for entry in entries
                ]
                row.append(f"{np.mean(values):.3f} ± {np.std(values):.3f}")
            rows.append(row + [f"{value:.3f}" for value in references.values()])
        widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
        lines += [
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) for row in rows
        ]
    print("\n".join(lines))


if __name__ == "__main__":
    main()
