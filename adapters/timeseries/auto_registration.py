"""Registration of the time-series encoders with `transformers`' Auto classes.

After ``import mmcl.adapters.timeseries`` (which calls `register_auto_classes`), ``AutoConfig`` and
``AutoModel`` resolve the ``mmcl_*`` model types to mmcl's own classes, so a saved encoder folder loads
without ``trust_remote_code``. Without mmcl installed, the same folder loads through the modeling file
copied into it and the ``auto_map`` of its ``config.json`` (see `mmcl.hub.save_encoder`).

Example:
    >>> from transformers import AutoModel
    >>> from mmcl.adapters.timeseries import TS2VecConfig
    >>> register_auto_classes()
    >>> type(AutoModel.from_config(TS2VecConfig(depth=1))).__name__
    'TS2VecModel'
"""

from __future__ import annotations

from transformers import AutoConfig, AutoModel

from mmcl.adapters.timeseries.modeling_patch_transformer import PatchTransformerConfig, PatchTransformerModel
from mmcl.adapters.timeseries.modeling_resnet1d import ResNet1dConfig, ResNet1dModel
from mmcl.adapters.timeseries.modeling_ts2vec import TS2VecConfig, TS2VecModel

ENCODER_CLASSES = (
    (ResNet1dConfig, ResNet1dModel),
    (TS2VecConfig, TS2VecModel),
    (PatchTransformerConfig, PatchTransformerModel),
)


def register_auto_classes() -> None:
    """Map each time-series ``model_type`` to its config and model class in ``AutoConfig`` / ``AutoModel``."""
    for config_class, model_class in ENCODER_CLASSES:
        AutoConfig.register(config_class.model_type, config_class, exist_ok=True)
        AutoModel.register(config_class, model_class, exist_ok=True)
