"""``timeseries``: the time-series adapter — ECG and price series, TS2Vec / SimCLR / MoCo / BYOL, UCR evaluation.

Data: fixed windows (``window_length``, ``window_stride``) cut from UCR ``.tsv`` / ``.ts`` files, WFDB records
(continuous windows, or beats around MIT-BIH style annotations) and CSV / Parquet price tables; by default
the real ECG shipped with mmcl (``data/``: the UCR ECG200, TwoLeadECG and ECG5000 training splits — never a
test split), optionally as single-source groups (``source_group_size``) so that every batch holds one data
set's windows and every data set comes up equally often. Encoder: a `TS2VecModel`, `ResNet1dModel` or
`PatchTransformerModel` from a config, a local folder or a Hub id, wrapped as an ``(N, D)``
`TimeSeriesEncoder`. Views, batched on the training device: TS2Vec's overlapping crops with timestamp
masking (for the ``ts2vec`` method), or the ``ecg`` / ``finance`` augmentation presets (for SimCLR, MoCo,
BYOL). Evaluation: the UCR protocol (frozen encoder, max-pooled
representation, RBF SVM) and label-efficiency curves on ECG200 and TwoLeadECG, against the same encoder at
random initialisation and the raw series. The model folder loads with
``AutoModel.from_pretrained(folder, trust_remote_code=True)`` without mmcl.

Example:
    >>> from mmcl.recipe import load_recipe
    >>> from mmcl.train import train
    >>> train(load_recipe("ecg-pretrain", ["train.max_steps=10"]))  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import datasets
import numpy as np
import torch
from torch import nn
from transformers import AutoModel, PreTrainedModel

from mmcl.adapter import Adapter, register_adapter
from mmcl.adapters.timeseries.augmentation_presets import augmentation_preset
from mmcl.adapters.timeseries.beat_dataset import beat_dataset
from mmcl.adapters.timeseries.modeling_patch_transformer import PatchTransformerConfig, PatchTransformerModel
from mmcl.adapters.timeseries.modeling_resnet1d import ResNet1dConfig, ResNet1dModel
from mmcl.adapters.timeseries.modeling_ts2vec import TS2VecConfig, TS2VecModel
from mmcl.adapters.timeseries.overlapping_crop_pair import OverlappingCropPair
from mmcl.adapters.timeseries.price_windows_dataset import price_windows_dataset
from mmcl.adapters.timeseries.read_errors import ReadReport, RecordError
from mmcl.adapters.timeseries.source_groups import source_groups
from mmcl.adapters.timeseries.time_series_encoder import TimeSeriesEncoder
from mmcl.adapters.timeseries.timestamp_masking import TimestampMasking
from mmcl.adapters.timeseries.ucr_dataset import ucr_dataset
from mmcl.adapters.timeseries.ucr_evaluation import ucr_evaluation
from mmcl.adapters.timeseries.volatility_probe import (
    PERCENT,
    VolatilityWindows,
    volatility_probe,
    volatility_windows,
)
from mmcl.adapters.timeseries.wfdb_dataset import wfdb_dataset
from mmcl.adapters.timeseries.windowing import sliding_windows
from mmcl.evaluation import EvaluationReport
from mmcl.hub import save_encoder
from mmcl.recipe import ExistingPath

DATA_DIR = Path(__file__).parent / "data"
"""The real ECG shipped with mmcl (sources, licences and citations in ``data/README.md``)."""

PRETRAINING_FILES = tuple(
    str(DATA_DIR / "ucr" / name) for name in ("ECG200_TRAIN.tsv", "TwoLeadECG_TRAIN.tsv", "ECG5000_TRAIN.tsv")
)
"""Unlabelled pretraining series by default: the shipped UCR training splits (no test series)."""

EVALUATION_SETS = tuple(
    (str(DATA_DIR / "ucr" / f"{name}_TRAIN.tsv"), str(DATA_DIR / "ucr" / f"{name}_TEST.tsv"))
    for name in ("ECG200", "TwoLeadECG")
)
"""The UCR data sets evaluated by default, as (TRAIN, TEST) files."""

FINANCE_FILE = str(DATA_DIR / "finance" / "sp500.csv.gz")
"""S&P 500 daily prices 1999-2018, the volatility probe's default table."""

_ENCODERS: dict[str, tuple[type, type[PreTrainedModel]]] = {
    "ts2vec": (TS2VecConfig, TS2VecModel),
    "resnet1d": (ResNet1dConfig, ResNet1dModel),
    "patch_transformer": (PatchTransformerConfig, PatchTransformerModel),
}


@register_adapter("timeseries")
class TimeSeriesAdapter(Adapter):
    """ECG and price windows, a time-series encoder, batched views, UCR evaluation.

    Options (the recipe's ``adapter:`` keys):
        encoder: ``ts2vec`` (dilated CNN), ``resnet1d`` or ``patch_transformer``.
        encoder_config: keyword arguments of the encoder's config (``num_leads`` is set from ``leads``).
        pretrained: a local model folder or Hub id to start from (replaces ``encoder`` / ``encoder_config``).
        leads: channels of every training window.
        ucr_files: UCR ``.tsv`` / ``.ts`` files to pretrain on (default: the shipped ECG training splits;
            ``[]`` for none). Their labels are ignored.
        wfdb_records: WFDB records or folders of records, cut into windows of ``window_length`` samples at
            ``target_rate``.
        beat_records: WFDB records with beat annotations (``.atr``); each beat gives one window centred on it.
        split_leads: train on each lead of a WFDB or beat record as its own single-lead series (with
            ``leads: 1``), instead of requiring ``leads`` to match the record.
        price_files: CSV / Parquet price tables, as windows of ``window_length`` daily log returns (in percent)
            of ``price_column``, sorted by ``price_date_column``; with ``evaluation: volatility`` only windows
            that end before the probe's test period are used (no look-ahead).
        target_rate: resample WFDB records to this rate (Hz); needed when their rates differ.
        window_length: samples per training window (every source); a series shorter than this is an error
            (or skipped with ``on_error: skip``).
        window_stride: samples between two windows of the same series.
        on_error: ``raise`` at the first bad record, or ``skip`` it and count it (printed when loading).
        source_group_size: if set, each training example is a group of this many windows of a single source
            (a file of ``ucr_files`` or ``price_files``; all ``wfdb_records``; all ``beat_records``), every
            source with as many groups as the largest needs (``source_groups``); with ``train.batch_size: 1``
            every batch then holds one source's windows, as when TS2Vec trains on one data set, and a small
            data set is not drowned by a large one.
        views: ``overlapping-crops`` (TS2Vec's crops + timestamp masking, for the ``ts2vec`` method), or the
            ``ecg`` / ``finance`` augmentation presets (for simclr / moco / byol).
        mask_ratio: share of timestamps masked in each crop (``overlapping-crops``).
        sampling_rate: the windows' rate (Hz), for the ``ecg`` preset's baseline wander and powerline noise.
        evaluation: ``ucr`` (UCR protocol and label efficiency on ``ucr_evaluation_sets``), ``volatility``
            (next-period realized-volatility regime of ``volatility_file``, split by time, vs raw windows)
            or ``none``.
        ucr_evaluation_sets: (TRAIN, TEST) file pairs (default: the shipped ECG200 and TwoLeadECG).
        label_fractions: shares of the training labels of the label-efficiency curve.
        label_seeds: subsampling seeds of the label-efficiency curve.
        standardize_features: standardise each feature on the training split before the SVM (every
            representation alike: trained, random init, raw series); off in the published UCR protocol.
        random_init_seed: seeds the random-init baseline encoder.
    """

    @dataclass
    class Options:
        encoder: Literal["ts2vec", "resnet1d", "patch_transformer"] = "ts2vec"
        encoder_config: dict[str, Any] = field(default_factory=dict)
        pretrained: str | None = None
        leads: int = 1
        ucr_files: list[ExistingPath] | None = None
        wfdb_records: list[ExistingPath] = field(default_factory=list)
        beat_records: list[ExistingPath] = field(default_factory=list)
        split_leads: bool = False
        price_files: list[ExistingPath] = field(default_factory=list)
        target_rate: float | None = None
        window_length: int = 64
        window_stride: int = 16
        on_error: Literal["raise", "skip"] = "raise"
        source_group_size: int | None = None
        views: Literal["overlapping-crops", "ecg", "finance"] = "overlapping-crops"
        mask_ratio: float = 0.5
        sampling_rate: float = 100.0
        price_column: str = "Close"
        price_date_column: str = "Date"
        evaluation: Literal["ucr", "volatility", "none"] = "ucr"
        ucr_evaluation_sets: list[tuple[ExistingPath, ExistingPath]] | None = None
        label_fractions: list[float] = field(default_factory=lambda: [0.1, 1.0])
        label_seeds: list[int] = field(default_factory=lambda: [0, 1, 2])
        standardize_features: bool = False
        volatility_file: ExistingPath | None = None
        volatility_window: int = 64
        volatility_horizon: int = 5
        random_init_seed: int = 0

    evaluation_suite = "ucr-svm"
    save_format = "transformers-remote-code"
    modality = "timeseries"

    def __init__(self, options: Options) -> None:
        super().__init__(options)
        if options.source_group_size is not None and options.source_group_size < 1:
            raise ValueError(
                f"adapter.source_group_size must be >= 1 or null, got {options.source_group_size}"
            )
        if options.window_length < 2 or options.window_stride < 1:
            raise ValueError(
                f"adapter.window_length must be >= 2 and adapter.window_stride >= 1, got "
                f"{options.window_length} and {options.window_stride}"
            )
        self._crops = OverlappingCropPair()
        self._masking = TimestampMasking(options.mask_ratio)
        self._augment = (
            augmentation_preset(options.views, sampling_rate=options.sampling_rate)
            if options.views != "overlapping-crops"
            else None
        )

    def build_encoder(self) -> tuple[TimeSeriesEncoder, int]:
        if self.options.pretrained is not None:
            model = AutoModel.from_pretrained(self.options.pretrained)
        else:
            config_class, model_class = _ENCODERS[self.options.encoder]
            model = model_class(
                config_class(**(self.options.encoder_config | {"num_leads": self.options.leads}))
            )
        encoder = TimeSeriesEncoder(model)
        return encoder, encoder.feature_dim

    def load_dataset(self, split: str) -> datasets.Dataset:
        """Every source's windows, ``{"signal": (leads, window_length)}``; only the ``train`` split exists."""
        if split != "train":
            raise ValueError(f"the timeseries adapter trains on split 'train' only, got {split!r}")
        report = ReadReport()
        by_source: dict[str, list[np.ndarray]] = {}
        for source, series, record in self._training_series(report):
            windows = self._windows(series, record, report)
            if windows is not None:
                by_source.setdefault(source, []).append(windows)
        if not by_source:
            raise ValueError(
                "adapter: no training windows; name data with adapter.ucr_files, wfdb_records, beat_records "
                f"or price_files, or shorten adapter.window_length ({self.options.window_length})"
            )
        if report.skipped:
            print(f"timeseries adapter: skipped {dict(report.skipped)} while reading the training data")
        sources = [np.concatenate(windows) for windows in by_source.values()]
        if self.options.source_group_size is None:
            return datasets.Dataset.from_dict({"signal": np.concatenate(sources)}).with_format("numpy")
        groups = source_groups(sources, self.options.source_group_size)
        return datasets.Dataset.from_dict({"signal": groups}).with_format("numpy")

    def _training_series(self, report: ReadReport) -> Iterator[tuple[str, np.ndarray, str]]:
        """``(source, signal (leads, time), record)`` of every training series, from every source.

        A source is one UCR file, one price file, all WFDB records together or all beat records together
        (read in one call, so that their sampling rates are checked against each other).
        """
        options = self.options
        ucr_files = list(PRETRAINING_FILES) if options.ucr_files is None else options.ucr_files
        sources = [
            (str(path), ucr_dataset([path], on_error=options.on_error, report=report)) for path in ucr_files
        ]
        record_readers = (("wfdb_records", wfdb_dataset), ("beat_records", beat_dataset))
        for source, reader in record_readers:
            if paths := getattr(options, source):
                records = reader(
                    paths, target_rate=options.target_rate, on_error=options.on_error, report=report
                )
                sources.append((source, records))
        for source, dataset in sources:
            for example in dataset.with_format("numpy"):
                signal = np.asarray(example["signal"], dtype=np.float32)
                record = str(example.get("record", "?"))
                if options.split_leads and source in ("wfdb_records", "beat_records"):
                    for lead in range(signal.shape[0]):
                        yield source, signal[lead : lead + 1], f"{record} lead {lead}"
                else:
                    yield source, signal, record
        if not options.price_files:
            return
        test_start = self._volatility_windows().split_date if options.evaluation == "volatility" else None
        for path in options.price_files:
            prices = price_windows_dataset(
                [path],
                columns=[options.price_column],
                window=options.window_length,
                stride=options.window_stride,
                date_column=options.price_date_column,
                normalize=False,
                on_error=options.on_error,
                report=report,
            ).with_format("numpy")
            for example in prices:
                if test_start is None or str(example["date"]) < test_start:
                    signal = np.asarray(example["signal"], dtype=np.float32) * PERCENT
                    yield str(path), signal, str(example["record"])

    def _volatility_windows(self) -> VolatilityWindows:
        return volatility_windows(
            self.options.volatility_file or FINANCE_FILE,
            column=self.options.price_column,
            date_column=self.options.price_date_column,
            window=self.options.volatility_window,
            horizon=self.options.volatility_horizon,
        )

    def _windows(self, signal: np.ndarray, record: str, report: ReadReport) -> np.ndarray | None:
        if signal.shape[0] != self.options.leads:
            report.handle(
                RecordError(
                    record,
                    "lead_count",
                    f"has {signal.shape[0]} lead(s), the recipe has adapter.leads={self.options.leads}; set "
                    "adapter.leads to match, adapter.split_leads=true to train on each lead of a WFDB record "
                    "alone, or train on records with the same leads",
                ),
                self.options.on_error,
            )
            return None
        if signal.shape[-1] < self.options.window_length:
            message = (
                f"{signal.shape[-1]} samples is shorter than adapter.window_length={self.options.window_length}; "
                "lower adapter.window_length, or set adapter.on_error=skip to skip short series"
            )
            report.handle(RecordError(record, "too_short", message), self.options.on_error)
            return None
        return sliding_windows(signal, self.options.window_length, self.options.window_stride, record=record)

    def collate(self, examples: list[dict[str, Any]]) -> torch.Tensor:
        """A ``(batch, leads, time)`` batch; with ``source_group_size``, the examples' groups one after another."""
        join = np.stack if self.options.source_group_size is None else np.concatenate
        return torch.from_numpy(join([example["signal"] for example in examples]).astype(np.float32))

    def make_views(self, batch: torch.Tensor) -> tuple[Any, Any]:
        """Two views of a ``(batch, leads, time)`` batch, on its device, with no per-sample loop.

        ``overlapping-crops``: dicts with the masked crop (``input_values``) and where the overlap lies in it
        (``overlap_start``, ``overlap_length``); the presets: two independently augmented tensors.
        """
        if self._augment is not None:
            return self._augment(batch), self._augment(batch)
        crops = self._crops(batch)
        length = torch.tensor(crops.overlap_length, device=batch.device)
        first = {
            "input_values": self._masking(crops.first),
            "overlap_start": torch.tensor(crops.first_overlap_start, device=batch.device),
            "overlap_length": length,
        }
        second = {
            "input_values": self._masking(crops.second),
            "overlap_start": torch.zeros((), dtype=torch.long, device=batch.device),
            "overlap_length": length,
        }
        return first, second

    def evaluate(
        self, encoder: nn.Module, device: torch.device, plots_dir: Path | None = None
    ) -> EvaluationReport | dict[str, float]:
        """The UCR protocol and label efficiency: the encoder vs itself at random init and the raw series."""
        if self.options.evaluation == "none":
            return {}
        if self.options.evaluation == "volatility":
            return volatility_probe(encoder, self._volatility_windows(), device)
        torch.manual_seed(self.options.random_init_seed)
        random_init = TimeSeriesEncoder(type(encoder.model)(encoder.model.config)).to(device)
        return ucr_evaluation(
            encoder,
            random_init,
            self.options.ucr_evaluation_sets or list(EVALUATION_SETS),
            device,
            fractions=self.options.label_fractions,
            seeds=self.options.label_seeds,
            standardize=self.options.standardize_features,
            plots_dir=plots_dir,
        )

    def save_encoder(self, encoder: nn.Module, folder: Path) -> None:
        """The HF model (config, safetensors, modeling code with ``auto_map``) — loadable without mmcl."""
        save_encoder(encoder.model, folder)

    def load_encoder(self, folder: Path) -> TimeSeriesEncoder:
        return TimeSeriesEncoder(AutoModel.from_pretrained(folder))

    def dataset_names(self) -> list[str]:
        """One entry naming every training source (the model card takes its evaluation set from it)."""
        ucr_files = PRETRAINING_FILES if self.options.ucr_files is None else self.options.ucr_files
        sources = [Path(path).stem for path in ucr_files]
        sources += [Path(path).name for path in [*self.options.wfdb_records, *self.options.beat_records]]
        sources += [Path(path).name for path in self.options.price_files]
        return [" + ".join(sources)] if sources else []

    def evaluation_dataset_name(self) -> str | None:
        """The UCR TEST files, or the price file of the volatility probe."""
        if self.options.evaluation == "volatility":
            return Path(self.options.volatility_file or FINANCE_FILE).name
        if self.options.evaluation == "ucr":
            sets = self.options.ucr_evaluation_sets or list(EVALUATION_SETS)
            return " + ".join(Path(test).stem for _, test in sets)
        return None
