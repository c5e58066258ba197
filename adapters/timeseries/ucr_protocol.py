"""The UCR protocol on frozen time-series encoders: max-pooled representations scored by an RBF SVM.

For each UCR data set (a TRAIN and a TEST ``.tsv`` / ``.ts`` file) the frozen encoder embeds every series
at its full length (TS2Vec's ``encoding_window="full_series"``: the model's max-pooled ``pooler_output``),
``mmcl.evaluation.fit_svm_probe`` fits an RBF SVM on the training embeddings (``C`` by 5-fold CV when the
split is large enough) and scores the test split; ``label_efficiency_curve`` repeats this on stratified
fractions of the training labels. The raw series (flattened) go through the same probe as a baseline.

Example:
    >>> splits = load_ucr_splits("ECG200_TRAIN.tsv", "ECG200_TEST.tsv")  # doctest: +SKIP
    >>> train_features = encode_series(encoder, splits.train_series, torch.device("cpu"))  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from mmcl.adapters.timeseries.ucr_dataset import ucr_dataset


@dataclass(frozen=True)
class UCRSplits:
    """One UCR data set's training and test series.

    Attributes:
        name: the data set's name (the TRAIN file's stem without ``_TRAIN``).
        train_series: ``(N_train, leads, time)`` float32.
        train_labels: ``N_train`` class indices.
        test_series: ``(N_test, leads, time)`` float32.
        test_labels: ``N_test`` class indices (the training split's class order).
    """

    name: str
    train_series: np.ndarray
    train_labels: np.ndarray
    test_series: np.ndarray
    test_labels: np.ndarray


def load_ucr_splits(train_file: str | Path, test_file: str | Path) -> UCRSplits:
    """Read a UCR data set's TRAIN and TEST files with the test labels indexed like the training labels.

    Raises:
        ValueError: a file has no labels, or its series differ in length (the UCR protocol needs equal lengths).
    """
    train = ucr_dataset(train_file)
    test = ucr_dataset(test_file, class_names=train.features["label"].names)
    arrays = []
    for path, split in ((train_file, train), (test_file, test)):
        split = split.with_format("numpy")
        labels = np.asarray(split["label"])
        if (labels < 0).any():
            raise ValueError(
                f"{path}: has no label column (the first column of a UCR .tsv is the class); the UCR protocol "
                "needs labelled TRAIN and TEST files"
            )
        lengths = {np.asarray(signal).shape for signal in split["signal"]}
        if len(lengths) != 1:
            raise ValueError(
                f"{path}: series of different shapes {sorted(lengths)}; resample them to one length first"
            )
        arrays += [np.stack(list(split["signal"])).astype(np.float32), labels.astype(np.int64)]
    name = Path(train_file).stem.removesuffix("_TRAIN")
    return UCRSplits(name, *arrays)


@torch.no_grad()
def encode_series(
    encoder: nn.Module, series: np.ndarray, device: torch.device, *, batch_size: int = 256
) -> np.ndarray:
    """``(N, D)`` float64 embeddings of ``series`` ``(N, leads, time)`` by ``encoder`` in eval mode.

    Example:
        >>> from mmcl.adapters.timeseries import TS2VecConfig, TS2VecModel
        >>> from mmcl.adapters.timeseries.time_series_encoder import TimeSeriesEncoder
        >>> encoder = TimeSeriesEncoder(TS2VecModel(TS2VecConfig(hidden_size=8, conv_channels=4, depth=1)))
        >>> encode_series(encoder, np.zeros((3, 1, 20), np.float32), torch.device("cpu")).shape
        (3, 8)
    """
    was_training = encoder.training
    encoder.eval()
    chunks = [
        encoder(torch.from_numpy(series[start : start + batch_size]).to(device)).float().cpu()
        for start in range(0, len(series), batch_size)
    ]
    encoder.train(was_training)
    return torch.cat(chunks).double().numpy()


def raw_features(series: np.ndarray) -> np.ndarray:
    """The raw-series baseline's features: each series flattened, ``(N, leads * time)``."""
    return series.reshape(len(series), -1).astype(np.float64)
