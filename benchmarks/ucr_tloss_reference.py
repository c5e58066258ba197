"""T-Loss (Franceschi et al., NeurIPS 2019) re-run on one UCR set here, scored by mmcl's UCR protocol.

The issue's accuracy bar for the ECG main job is T-Loss's published figure (ECG200 0.94, TwoLeadECG 0.999;
``results_ucr.csv`` of its repository). This script re-implements T-Loss with its UCR defaults to see what the
method itself reaches on these files on this machine, scored by the same probe as mmcl's recipes
(``mmcl.evaluation.fit_svm_probe``: RBF SVM, ``C`` by 5-fold CV on train):

- encoder: the causal dilated CNN (``depth`` residual blocks of two weight-normalised causal convolutions with
  LeakyReLU, dilations 1, 2, 4, ..., ``channels`` wide, a last block to 160 channels), max-pooled over time,
  then a linear map to 320 features;
- objective: the time-based triplet loss — an anchor sub-series, a positive sub-series inside it,
  ``negatives`` sub-series of the positive's length from random training series; ``-log σ(a·p)`` plus the
  mean of ``-log σ(-a·n)`` over the negatives;
- training: the TRAIN split only (no labels), ``steps`` Adam steps (lr 1e-3) of ``batch_size`` series.

Causal convolutions are computed as one matmul over ``kernel`` shifted copies of the left-padded input (the
same numbers as a padded dilated ``Conv1d``, without its cost on the CPU for dilations longer than the series).

Run (``--steps 2000`` is T-Loss's setting; about 40 min per seed on 2 busy CPU cores):
    python benchmarks/ucr_tloss_reference.py ECG200 --seeds 0 1 2
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from mmcl.adapters.timeseries.adapter import DATA_DIR
from mmcl.adapters.timeseries.ucr_protocol import encode_series, load_ucr_splits
from mmcl.evaluation import fit_svm_probe


class CausalConv1d(nn.Module):
    """A weight-normalised causal dilated convolution: output ``t`` sees inputs ``t, t-d, ..., t-(k-1)d``."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, dilation: int) -> None:
        super().__init__()
        self.kernel_size, self.dilation = kernel_size, dilation
        self.conv = nn.utils.parametrizations.weight_norm(nn.Conv1d(in_channels, out_channels, kernel_size))

    def forward(self, series: torch.Tensor) -> torch.Tensor:
        length = series.shape[-1]
        padded = F.pad(series, ((self.kernel_size - 1) * self.dilation, 0))
        taps = [padded[:, :, i * self.dilation : i * self.dilation + length] for i in range(self.kernel_size)]
        weight = self.conv.weight.permute(0, 2, 1).flatten(1)  # (out, kernel * in), the order of the taps
        return torch.einsum("oc,bcl->bol", weight, torch.cat(taps, dim=1)) + self.conv.bias[:, None]


class CausalBlock(nn.Module):
    """Two causal convolutions with LeakyReLU, plus a residual (1x1-projected when the widths differ)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, dilation: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            CausalConv1d(in_channels, out_channels, kernel_size, dilation),
            nn.LeakyReLU(),
            CausalConv1d(out_channels, out_channels, kernel_size, dilation),
            nn.LeakyReLU(),
        )
        self.residual = (
            nn.Conv1d(in_channels, out_channels, 1) if in_channels != out_channels else nn.Identity()
        )

    def forward(self, series: torch.Tensor) -> torch.Tensor:
        return self.body(series) + self.residual(series)


class CausalCNNEncoder(nn.Module):
    """T-Loss's encoder: ``(batch, leads, time)`` -> ``(batch, out_features)``."""

    def __init__(
        self, leads: int, channels: int = 40, depth: int = 10, reduced: int = 160, out_features: int = 320
    ) -> None:
        super().__init__()
        widths = [leads, *[channels] * depth, reduced]
        self.blocks = nn.Sequential(
            *(CausalBlock(widths[i], widths[i + 1], 3, 2**i) for i in range(depth + 1))
        )
        self.linear = nn.Linear(reduced, out_features)

    def forward(self, series: torch.Tensor) -> torch.Tensor:
        return self.linear(self.blocks(series).amax(dim=2))


def triplet_step(
    encoder: CausalCNNEncoder, data: torch.Tensor, batch_size: int, negatives: int, rng: np.random.Generator
) -> torch.Tensor:
    """T-Loss's loss on one batch of ``data`` ``(N, leads, time)``."""
    count, _, length = data.shape
    rows = rng.permutation(count)[:batch_size] if count >= batch_size else rng.integers(0, count, batch_size)
    positive_length = int(rng.integers(1, length + 1))
    anchor_length = int(rng.integers(positive_length, length + 1))
    anchor_start = rng.integers(0, length - anchor_length + 1, size=len(rows))
    positive_start = anchor_start + rng.integers(0, anchor_length - positive_length + 1, size=len(rows))
    negative_rows = rng.integers(0, count, size=(negatives, len(rows)))
    negative_start = rng.integers(0, length - positive_length + 1, size=(negatives, len(rows)))

    def crops(indices: np.ndarray, starts: np.ndarray, size: int) -> torch.Tensor:
        return torch.stack(
            [data[i, :, s : s + size] for i, s in zip(indices.ravel(), starts.ravel(), strict=True)]
        )

    anchor = encoder(crops(rows, anchor_start, anchor_length))
    positive = encoder(crops(rows, positive_start, positive_length))
    negative = encoder(crops(negative_rows, negative_start, positive_length)).view(negatives, len(rows), -1)
    loss = -F.logsigmoid((anchor * positive).sum(-1)).mean()
    return loss - F.logsigmoid(-(anchor * negative).sum(-1)).mean(dim=1).sum() / negatives


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("name", help="a shipped UCR set: ECG200 or TwoLeadECG")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--batch-size", type=int, default=10)
    parser.add_argument("--negatives", type=int, default=10)
    parser.add_argument("--threads", type=int, default=1)
    arguments = parser.parse_args()
    torch.set_num_threads(arguments.threads)
    ucr = DATA_DIR / "ucr"
    splits = load_ucr_splits(ucr / f"{arguments.name}_TRAIN.tsv", ucr / f"{arguments.name}_TEST.tsv")
    data, device = torch.from_numpy(splits.train_series), torch.device("cpu")
    accuracies = []
    for seed in arguments.seeds:
        torch.manual_seed(seed)
        rng = np.random.default_rng(seed)
        encoder = CausalCNNEncoder(leads=data.shape[1])
        optimizer = torch.optim.Adam(encoder.parameters(), lr=1e-3)
        start = time.perf_counter()
        for _ in range(arguments.steps):
            loss = triplet_step(encoder, data, arguments.batch_size, arguments.negatives, rng)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        result = fit_svm_probe(
            encode_series(encoder, splits.train_series, device), splits.train_labels,
            encode_series(encoder, splits.test_series, device), splits.test_labels,
        )  # fmt: skip
        accuracies.append(result.accuracy)
        print(f"{arguments.name} seed {seed}: accuracy {result.accuracy:.3f} (C={result.c:g}), "
              f"last loss {loss.item():.3f}, {time.perf_counter() - start:.0f} s", flush=True)  # fmt: skip
    print(
        f"{arguments.name} T-Loss re-run, {arguments.steps} steps: {np.mean(accuracies):.3f} ± {np.std(accuracies):.3f}"
    )


if __name__ == "__main__":
    main()
