"""Saving an encoder as a folder that loads with plain `transformers`, with or without mmcl installed.

The folder holds ``config.json`` (with an ``auto_map`` naming the config and model classes),
``model.safetensors`` and a copy of the encoder's modeling file. This is `transformers`' own remote-code
mechanism: `PreTrainedModel.register_for_auto_class` marks the classes, and ``save_pretrained`` then calls
``custom_object_save``, which copies the file defining them and writes the ``auto_map``. The modeling files
of this adapter import only torch / transformers / the standard library, so the copy runs anywhere.

Example:
    >>> from transformers import AutoModel
    >>> from mmcl.adapters.timeseries import TS2VecConfig, TS2VecModel
    >>> folder = save_encoder_folder(TS2VecModel(TS2VecConfig(depth=1)), "encoder")  # doctest: +SKIP
    >>> AutoModel.from_pretrained(folder, trust_remote_code=True)  # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path

from transformers import PreTrainedModel

from mmcl.atomic_folder import atomic_folder


def save_encoder_folder(model: PreTrainedModel, folder: str | Path) -> Path:
    """Write ``model`` to ``folder`` with its modeling file and ``auto_map``; return the folder.

    The write is atomic (`mmcl.atomic_folder`): a crash never leaves a half-written encoder; an existing
    folder is replaced.

    Args:
        model: A `PreTrainedModel` whose config class is defined in the same file as the model class.
        folder: Destination folder.

    Returns:
        The folder, loadable with ``AutoModel.from_pretrained(folder, trust_remote_code=True)``.

    Raises:
        ValueError: If the config class lives in another file than the model class (only one file is copied).

    Example:
        >>> from mmcl.adapters.timeseries import ResNet1dConfig, ResNet1dModel
        >>> model = ResNet1dModel(ResNet1dConfig(num_leads=1, hidden_sizes=[8], depths=[1]))
        >>> save_encoder_folder(model, "resnet1d-encoder")  # doctest: +SKIP
        PosixPath('resnet1d-encoder')
    """
    model_class, config_class = type(model), type(model.config)
    if model_class.__module__ != config_class.__module__:
        raise ValueError(
            f"save_encoder_folder: {model_class.__name__} ({model_class.__module__}) and {config_class.__name__} "
            f"({config_class.__module__}) must be defined in one modeling file, which is copied into the folder"
        )
    model_class.register_for_auto_class("AutoModel")
    config_class.register_for_auto_class("AutoConfig")
    folder = Path(folder)
    with atomic_folder(folder) as partial:
        model.save_pretrained(partial)
    return folder
