"""Wall-clock time of the frozen-embedding protocols at ImageNet-subset scale, on the CPU.

Run:  python benchmarks/evaluation.py [--train 90000] [--test 10000] [--dim 256] [--classes 10] [--threads 2]
                                      [--device cpu|cuda]

The embeddings are random but clustered: one Gaussian centre per class plus isotropic noise, so the
accuracies are meaningful (well above chance, below 100 %). Timed, each once, end to end from the arrays:

- kNN (k = 200, T = 0.1, cosine, chunked over the test set), as used to monitor SSL training;
- the linear probe above its torch threshold: standardisation, ``C`` chosen over 1e-4 .. 1e4 on a held-out
  10 % of train with warm-started full-batch L-BFGS, then the refit on all of train;
- the linear probe on a 20,000-row subset, i.e. at the largest size that still takes the scikit-learn path
  (5-fold stratified grid search over the same 9 values of ``C``).

The target is under a minute each for kNN and the torch probe at 90k / 10k x 256 on a 2-core CPU. On a
small CPU shared with other processes, fewer threads can be faster (BLAS threads that wait on each other):
compare ``--threads 1`` with ``--threads 2``.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import torch
from threadpoolctl import threadpool_limits

from mmcl.evaluation import fit_linear_probe, knn_accuracy


def clustered_embeddings(
    rows: int, dim: int, classes: int, *, spread: float, seed: int
) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    centres = torch.randn(classes, dim, generator=generator)
    labels = torch.randint(0, classes, (rows,), generator=generator)
    return centres[labels] + spread * torch.randn(rows, dim, generator=generator), labels


def timed(run: Callable[[], tuple[float, str]]) -> tuple[float, float, str]:
    start = time.perf_counter()
    accuracy, note = run()
    return time.perf_counter() - start, accuracy, note


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--train", type=int, default=90_000)
    parser.add_argument("--test", type=int, default=10_000)
    parser.add_argument("--dim", type=int, default=256)
    parser.add_argument("--classes", type=int, default=10)
    parser.add_argument("--spread", type=float, default=6.0, help="noise scale relative to the unit centres")
    parser.add_argument(
        "--sklearn-rows", type=int, default=20_000, help="training rows for the scikit-learn probe"
    )
    parser.add_argument("--threads", type=int, default=2, help="torch, BLAS and OpenMP threads")
    parser.add_argument(
        "--device", default="cpu", help="where the embeddings live (the torch code runs there)"
    )
    arguments = parser.parse_args()
    torch.set_num_threads(arguments.threads)
    threadpool_limits(limits=arguments.threads)  # scikit-learn's BLAS / OpenMP pools

    x, y = clustered_embeddings(
        arguments.train + arguments.test, arguments.dim, arguments.classes, spread=arguments.spread, seed=0
    )
    x, y = x.to(arguments.device), y.to(arguments.device)
    knn_accuracy(x[:1000], y[:1000], x[1000:1100], y[1000:1100], k=10)  # warm-up: device and kernel start-up
    train, train_labels = x[: arguments.train], y[: arguments.train]
    test, test_labels = x[arguments.train :], y[arguments.train :]
    subset = slice(0, arguments.sklearn_rows)

    def knn() -> tuple[float, str]:
        return knn_accuracy(train, train_labels, test, test_labels, k=200, temperature=0.1), "k=200, T=0.1"

    def torch_probe() -> tuple[float, str]:
        result = fit_linear_probe(train, train_labels, test, test_labels)
        return result.accuracy, f"{result.classifier}; C={result.c:g} by {result.selection}"

    def sklearn_probe() -> tuple[float, str]:
        result = fit_linear_probe(train[subset], train_labels[subset], test, test_labels)
        return result.accuracy, f"{result.classifier}; C={result.c:g} by {result.selection}"

    cases = {
        f"kNN, {arguments.train} train": knn,
        f"linear probe, {arguments.train} train": torch_probe,
        f"linear probe, {arguments.sklearn_rows} train": sklearn_probe,
    }
    print(
        f"{arguments.train} train / {arguments.test} test x {arguments.dim} dims, {arguments.classes} classes, "
        f"on {arguments.device}, {torch.get_num_threads()} torch threads, torch {torch.__version__}"
    )
    rows = [(name, *timed(run)) for name, run in cases.items()]
    width = max(len(name) for name, *_ in rows)
    print(f"{'case'.ljust(width)}  seconds  accuracy  notes")
    for name, seconds, accuracy, note in rows:
        print(f"{name.ljust(width)}  {seconds:7.1f}  {accuracy:8.4f}  {note}")


if __name__ == "__main__":
    main()
