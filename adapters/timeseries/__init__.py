"""Time-series adapter: ECG and financial series.

- Encoders (`transformers` models with their configs, registered with ``AutoConfig`` / ``AutoModel`` on
  import): `ResNet1dModel`, `TS2VecModel`, `PatchTransformerModel`; `mmcl.hub.save_encoder` writes a folder
  that loads with ``trust_remote_code=True`` where mmcl is not installed.
- Augmentations, batched on the training device: `GaussianJitter`, `AmplitudeScaling`, `TimeWarp`,
  `MagnitudeWarp`, `WindowSlice`, `RandomCrop`, `OverlappingCropPair`, `TimestampMasking`, `TimeOut`,
  `SegmentPermutation`, `BaselineWander`, `PowerlineNoise`, `LeadDropout`, `TimeShift`, `Compose`, and the
  presets of `augmentation_preset` (``"ecg"``, ``"finance"``).
- The adapter (`TimeSeriesAdapter`, registered as ``timeseries``), the ``ts2vec`` method (`TS2Vec`,
  registered on import), the ``(N, D)`` `TimeSeriesEncoder` wrapper and the UCR protocol (`load_ucr_splits`,
  `encode_series`, `ucr_evaluation`).
- Readers to Hugging Face datasets: `wfdb_dataset`, `beat_dataset`, `ucr_dataset`,
  `price_windows_dataset`, `array_dataset`, with `ReadReport` / `RecordError` for bad input; windowing
  (`sliding_windows`) and single-source training groups (`source_groups`).
"""

from mmcl.adapters.timeseries.adapter import TimeSeriesAdapter
from mmcl.adapters.timeseries.amplitude_scaling import AmplitudeScaling
from mmcl.adapters.timeseries.array_dataset import array_dataset
from mmcl.adapters.timeseries.augmentation_presets import (
    augmentation_preset,
    ecg_augmentations,
    finance_augmentations,
)
from mmcl.adapters.timeseries.auto_registration import register_auto_classes
from mmcl.adapters.timeseries.baseline_wander import BaselineWander
from mmcl.adapters.timeseries.beat_dataset import BEAT_SYMBOLS, beat_dataset
from mmcl.adapters.timeseries.beat_segments import beat_segments
from mmcl.adapters.timeseries.compose import Compose
from mmcl.adapters.timeseries.gaussian_jitter import GaussianJitter
from mmcl.adapters.timeseries.lead_dropout import LeadDropout
from mmcl.adapters.timeseries.log_returns import log_returns
from mmcl.adapters.timeseries.magnitude_warp import MagnitudeWarp
from mmcl.adapters.timeseries.modeling_patch_transformer import PatchTransformerConfig, PatchTransformerModel
from mmcl.adapters.timeseries.modeling_resnet1d import ResNet1dConfig, ResNet1dModel
from mmcl.adapters.timeseries.modeling_ts2vec import TS2VecConfig, TS2VecModel
from mmcl.adapters.timeseries.normalization import z_normalize
from mmcl.adapters.timeseries.overlapping_crop_pair import OverlappingCropPair, OverlappingCrops
from mmcl.adapters.timeseries.physionet_labels import dx_codes
from mmcl.adapters.timeseries.powerline_noise import PowerlineNoise
from mmcl.adapters.timeseries.price_windows_dataset import price_windows_dataset
from mmcl.adapters.timeseries.random_augmentation import RandomAugmentation
from mmcl.adapters.timeseries.random_crop import RandomCrop
from mmcl.adapters.timeseries.read_errors import ReadReport, RecordError
from mmcl.adapters.timeseries.resampling import resample_to_rate
from mmcl.adapters.timeseries.segment_permutation import SegmentPermutation
from mmcl.adapters.timeseries.signal_checks import check_signal
from mmcl.adapters.timeseries.source_groups import source_groups
from mmcl.adapters.timeseries.time_out import TimeOut
from mmcl.adapters.timeseries.time_series_encoder import TimeSeriesEncoder
from mmcl.adapters.timeseries.time_shift import TimeShift
from mmcl.adapters.timeseries.time_warp import TimeWarp
from mmcl.adapters.timeseries.timestamp_masking import TimestampMasking
from mmcl.adapters.timeseries.ts2vec_method import TS2Vec
from mmcl.adapters.timeseries.ucr_dataset import ucr_dataset
from mmcl.adapters.timeseries.ucr_evaluation import ucr_evaluation
from mmcl.adapters.timeseries.ucr_protocol import UCRSplits, encode_series, load_ucr_splits
from mmcl.adapters.timeseries.wfdb_dataset import wfdb_dataset
from mmcl.adapters.timeseries.wfdb_records import find_wfdb_records
from mmcl.adapters.timeseries.window_slice import WindowSlice
from mmcl.adapters.timeseries.windowing import sliding_windows
from mmcl.methods import register_method

register_auto_classes()
register_method("ts2vec", TS2Vec)

__all__ = [
    "BEAT_SYMBOLS",
    "AmplitudeScaling",
    "BaselineWander",
    "Compose",
    "GaussianJitter",
    "LeadDropout",
    "MagnitudeWarp",
    "OverlappingCropPair",
    "OverlappingCrops",
    "PatchTransformerConfig",
    "PatchTransformerModel",
    "PowerlineNoise",
    "RandomAugmentation",
    "RandomCrop",
    "ReadReport",
    "RecordError",
    "ResNet1dConfig",
    "ResNet1dModel",
    "SegmentPermutation",
    "TS2Vec",
    "TS2VecConfig",
    "TS2VecModel",
    "TimeOut",
    "TimeSeriesAdapter",
    "TimeSeriesEncoder",
    "TimeShift",
    "TimeWarp",
    "TimestampMasking",
    "UCRSplits",
    "WindowSlice",
    "array_dataset",
    "augmentation_preset",
    "beat_dataset",
    "beat_segments",
    "check_signal",
    "dx_codes",
    "ecg_augmentations",
    "encode_series",
    "finance_augmentations",
    "find_wfdb_records",
    "load_ucr_splits",
    "log_returns",
    "price_windows_dataset",
    "register_auto_classes",
    "resample_to_rate",
    "sliding_windows",
    "source_groups",
    "ucr_dataset",
    "ucr_evaluation",
    "wfdb_dataset",
    "z_normalize",
]
