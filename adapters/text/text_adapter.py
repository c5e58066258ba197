"""The ``text`` adapter: contrastive fine-tuning of sentence and document embeddings.

Recipe section (``adapter:``; keys of `TextAdapter.Options`)::

    adapter:
      name: text
      model: sentence-transformers/all-MiniLM-L6-v2   # SentenceTransformer folder / Hub id, or a transformers model
      pooling: null            # mean | cls | last-token to pool a plain transformers model
      max_length: 128          # tokens per training text (null: the model's max_seq_length)
      train:                   # TextDataSource entries mapping the same roles
        - path: data/pairs.jsonl
          columns: {anchor: query, positive: answer, negatives: [hard_negative]}
      augmentation: none       # none | token-deletion | token-crop | token-shuffle | document-spans
      evaluation:              # TextEvaluation entries: sts | retrieval | paraphrase
        - task: sts
          data: {path: stsb-test.csv, header: false, columns: {anchor: 0, positive: 1, score: 2}}

Views: for pairs, the anchors and the positives (the second view carries scores and hard negatives); for
single texts, the same tokens twice, then the ``augmentation`` on the training device — with ``none`` the
encoder's dropout alone makes the views differ (SimCSE); ``document-spans`` takes two random spans of
``max_length`` tokens from documents tokenized up to ``document_max_length``.

Methods: ``text-infonce``, ``text-cosent``, ``text-triplet``, ``text-moco`` (registered by this package), and
the core ``simclr`` / ``moco`` / ``byol``, whose encoder reads the views' token tensors.

Evaluation: ``evaluate`` returns the suite's metrics beside the base model's (an ``EvaluationReport``); the
engine prints the before / after table and writes ``metrics.json`` and the model card from it.

Output: a SentenceTransformer folder; ``SentenceTransformer(folder)`` gives the same embeddings.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import datasets
import torch
from torch import nn

from mmcl.adapter import Adapter
from mmcl.adapters.text.batch_sampler import TextBatchSampler
from mmcl.adapters.text.data_source import TextDataSource, read_text_data
from mmcl.adapters.text.row_errors import DataReport, TextDataError
from mmcl.adapters.text.sentence_encoder import PoolingName, SentenceEncoder, load_sentence_encoder
from mmcl.adapters.text.text_collator import TextCollator
from mmcl.adapters.text.text_evaluation import TextEvaluation, TextEvaluationSuite
from mmcl.adapters.text.text_ids import text_ids
from mmcl.adapters.text.text_views import view_tokens
from mmcl.adapters.text.token_crop import TokenCrop
from mmcl.adapters.text.token_deletion import TokenDeletion
from mmcl.adapters.text.token_shuffle import TokenShuffle
from mmcl.adapters.text.truncation_report import TruncationReport, measure_truncation
from mmcl.distributed import rank
from mmcl.evaluation import EvaluationReport
from mmcl.hub import save_encoder

logger = logging.getLogger(__name__)

TokenAugmentation = Callable[[Mapping[str, torch.Tensor]], dict[str, torch.Tensor]]
"""A batched augmentation of token tensors (`TokenDeletion`, `TokenCrop`, `TokenShuffle`)."""

Augmentation = Literal["none", "token-deletion", "token-crop", "token-shuffle", "document-spans"]


@dataclass
class TextOptions:
    """The ``adapter:`` keys of the text adapter.

    Attributes:
        model: a SentenceTransformer folder or Hub id, or a plain `transformers` encoder (with ``pooling``).
        train: the training data, a list of `TextDataSource` mapping the same roles (read as one dataset):
            single texts, or pairs (with negatives or scores).
        pooling: ``mean``, ``cls`` or ``last-token`` to turn a plain `transformers` model into a sentence
            encoder; null for a SentenceTransformer (it has its own).
        max_length: tokens per training text, special tokens included; null: the model's ``max_seq_length``.
            Texts that are longer are truncated and counted (see ``on_truncation``).
        augmentation: how the two views of a text differ beyond dropout (see the module docstring).
        deletion_probability: ``token-deletion``: chance that a token is deleted.
        crop_ratio: ``token-crop``: share of a text's tokens kept.
        document_max_length: ``document-spans``: tokens read per document (spans are taken from these).
        group_by_length: train on batches of texts of similar length (less padding, as ``transformers``'
            ``group_by_length``): all-MiniLM-L6-v2 on STS-B at batch 16 trains 2x faster, but ends about 0.5
            Spearman lower (3 seeds; its in-batch comparisons lose variety), so it is off by default. Either
            way no text appears twice in a batch (it would be a false negative of itself).
        on_truncation: ``warn`` (log how many texts lose how many tokens) or ``error`` (stop before training).
        evaluation: the evaluation suite (`TextEvaluation` entries), run during and after training and on the
            base model for the model card.
        eval_batch_size: texts per encoding batch in evaluation.
        trust_remote_code: allow the model repo's own code to run.
    """

    model: str
    train: list[TextDataSource]
    pooling: PoolingName | None = None
    max_length: int | None = None
    augmentation: Augmentation = "none"
    deletion_probability: float = 0.1
    crop_ratio: float = 0.8
    document_max_length: int = 512
    group_by_length: bool = False
    on_truncation: Literal["warn", "error"] = "warn"
    evaluation: list[TextEvaluation] = field(default_factory=list)
    eval_batch_size: int = 64
    trust_remote_code: bool = False

    def __post_init__(self) -> None:
        if not self.train:
            raise ValueError("train: give at least one data source, e.g. - {path: pairs.csv, columns: {...}}")
        roles = [list(source.columns.roles()) for source in self.train]
        if any(source_roles != roles[0] for source_roles in roles):
            raise ValueError(
                f"train: every source must map the same roles, got {' / '.join(map(str, roles))}; map the same "
                "roles, or train on one source"
            )
        if self.augmentation == "document-spans" and self.train[0].columns.is_pairs:
            raise ValueError(
                "augmentation: document-spans takes two spans of one document; map single texts "
                "(train[].columns.text), or use another augmentation for pairs"
            )
        if self.max_length is not None and self.max_length < 4:
            raise ValueError(f"max_length must be >= 4 tokens (or null), got {self.max_length}")
        if not 0 <= self.deletion_probability < 1:
            raise ValueError(f"deletion_probability must be in [0, 1), got {self.deletion_probability}")
        if not 0 < self.crop_ratio <= 1:
            raise ValueError(f"crop_ratio must be in (0, 1], got {self.crop_ratio}")
        if self.eval_batch_size < 1:
            raise ValueError(f"eval_batch_size must be >= 1, got {self.eval_batch_size}")
        TextEvaluationSuite(self.evaluation)  # evaluation names must differ

    @property
    def train_name(self) -> str:
        """The training data's name: its file name or Hub id (joined by `` + `` for several sources)."""
        return " + ".join(source.name for source in self.train)


class TextAdapter(Adapter):
    """Sentence-transformers models, text pairs / triplets / scored pairs / raw texts, text evaluation.

    Example:
        >>> from mmcl.adapter import get_adapter
        >>> adapter = get_adapter("text")(TextAdapter.Options(model=folder, train=[source]))  # doctest: +SKIP
        >>> encoder, dim = adapter.build_encoder()  # doctest: +SKIP
        >>> view_a, view_b = adapter.make_views(adapter.collate([adapter.load_dataset("train")[0]] * 2))  # doctest: +SKIP
    """

    Options = TextOptions
    evaluation_suite = "text"
    modality = "text"
    save_format = "sentence-transformers"

    def __init__(self, options: TextOptions) -> None:
        super().__init__(options)
        self.suite = TextEvaluationSuite(options.evaluation, batch_size=options.eval_batch_size)
        self.data_reports: tuple[DataReport, ...] = ()
        self.truncation_report: TruncationReport | None = None
        self._encoder: SentenceEncoder | None = None
        self._collator: TextCollator | None = None
        self._augmentation: TokenAugmentation | None = None
        self._base_metrics: dict[str, float] | None = None

    # -- encoder ---------------------------------------------------------------------------------------------

    def build_encoder(self) -> tuple[nn.Module, int]:
        self._encoder = self._load_encoder()
        return self._encoder, self._encoder.dimension

    def _load_encoder(self) -> SentenceEncoder:
        options = self.options
        return load_sentence_encoder(
            options.model, pooling=options.pooling, trust_remote_code=options.trust_remote_code
        )

    def _tokenizing_encoder(self) -> SentenceEncoder:
        """The encoder whose tokenization the data uses: the one built for training, or one loaded for it."""
        if self._encoder is None:
            self._encoder = self._load_encoder()
        return self._encoder

    @property
    def max_length(self) -> int:
        """Tokens per training view."""
        return self.options.max_length or self._tokenizing_encoder().max_seq_length

    @property
    def tokenized_length(self) -> int:
        """Tokens per text read from the data: ``document_max_length`` for document spans, else ``max_length``."""
        return (
            self.options.document_max_length
            if self.options.augmentation == "document-spans"
            else self.max_length
        )

    # -- data ------------------------------------------------------------------------------------------------

    def load_dataset(self, split: str) -> datasets.Dataset:
        """``"train"``: the training data, read and checked, with its truncation reported; an evaluation's
        name: that evaluation's data.

        Raises:
            TextDataError: bad data (naming the file, row and column), or truncation with ``on_truncation: error``.
        """
        if split != "train":
            data = self.suite.data()
            if split not in data:
                raise TextDataError(
                    f"no split {split!r}: the text adapter has 'train' and {', '.join(map(repr, data))}"
                )
            return data[split][0]
        parts, self.data_reports = zip(
            *(read_text_data(source) for source in self.options.train), strict=True
        )
        dataset = datasets.concatenate_datasets(list(parts))
        if "negatives" in dataset.column_names and len({len(part[0]["negatives"]) for part in parts}) > 1:
            counts = ", ".join(
                f"{source.name}: {len(part[0]['negatives'])}"
                for source, part in zip(self.options.train, parts, strict=True)
            )
            raise TextDataError(
                f"train: the sources have different numbers of hard negatives per row ({counts}); map the same number"
            )
        for report in self.data_reports:
            if rank() == 0 and (report.skipped or report.filtered):
                logger.warning("training data: %s", report.summary())
        lengths = self._tokenizing_encoder().token_lengths(_all_texts(dataset))
        self.truncation_report = measure_truncation(lengths, self.tokenized_length, role="training texts")
        if self.truncation_report.truncated:
            message = (
                f"{self.options.train_name}: {self.truncation_report.summary()}; raise adapter.max_length"
                f"{' / adapter.document_max_length' if self.options.augmentation == 'document-spans' else ''} to keep them whole"
            )
            if self.options.on_truncation == "error":
                raise TextDataError(
                    message + ", or set adapter.on_truncation: warn to train on the truncated texts"
                )
            if rank() == 0:
                logger.warning(message)
        return dataset

    def collate(self, examples: list[dict[str, Any]]) -> dict[str, dict[str, torch.Tensor]]:
        if self._collator is None:
            self._collator = TextCollator(self._tokenize, self.tokenized_length)
        return self._collator(examples)

    def _tokenize(self, texts: Sequence[str], *, max_length: int) -> dict[str, torch.Tensor]:
        return self._tokenizing_encoder().tokenize(texts, max_length=max_length)

    def batch_sampler(
        self, dataset: datasets.Dataset | datasets.IterableDataset, *, batch_size: int, seed: int
    ) -> TextBatchSampler | None:
        """Batches without a repeated text, grouped by length unless ``group_by_length`` is false (a stream
        keeps its shuffle buffer: repeated texts in its batches are masked in the text methods' losses)."""
        if isinstance(dataset, datasets.IterableDataset):
            return None
        columns = [c for c in ("text", "anchor", "positive") if c in dataset.column_names]
        rows = list(zip(*(text_ids(list(dataset[c])).tolist() for c in columns), strict=True))
        if "negatives" in dataset.column_names:
            rows = [
                (*row, *text_ids(negatives).tolist())
                for row, negatives in zip(rows, dataset["negatives"], strict=True)
            ]
        lengths = None
        if self.options.group_by_length:
            encoder = self._tokenizing_encoder()
            per_column = [encoder.token_lengths(list(dataset[c])) for c in columns]
            lengths = [max(values) for values in zip(*per_column, strict=True)]
        return TextBatchSampler(rows, batch_size, lengths=lengths, seed=seed)

    # -- views -----------------------------------------------------------------------------------------------

    def make_views(self, batch: Mapping[str, Mapping[str, torch.Tensor]]) -> tuple[dict, dict]:
        augment = self._augmentation_transform()
        if augment is None:
            return dict(batch["a"]), dict(batch["b"])
        return tuple({**view, **augment(view_tokens(view))} for view in (batch["a"], batch["b"]))

    def _augmentation_transform(self) -> TokenAugmentation | None:
        name = self.options.augmentation
        if name == "none" or self._augmentation is not None:
            return self._augmentation
        tokenizer = self._tokenizing_encoder().tokenizer
        special = {"special_ids": tokenizer.all_special_ids}
        if name == "token-deletion":
            self._augmentation = TokenDeletion(
                self.options.deletion_probability, pad_id=tokenizer.pad_token_id, **special
            )
        elif name == "token-crop":
            self._augmentation = TokenCrop(
                ratio=self.options.crop_ratio, pad_id=tokenizer.pad_token_id, **special
            )
        elif name == "token-shuffle":
            self._augmentation = TokenShuffle(**special)
        else:
            span = self.max_length - tokenizer.num_special_tokens_to_add(pair=False)
            self._augmentation = TokenCrop(length=span, pad_id=tokenizer.pad_token_id, **special)
        return self._augmentation

    # -- evaluation and output -------------------------------------------------------------------------------

    def embed(self, encoder: nn.Module, batch: Mapping[str, Mapping[str, torch.Tensor]]) -> torch.Tensor:
        """Embeddings of a collated batch's first texts (anchors, or the single texts)."""
        return encoder(batch["a"])

    def evaluate(
        self, encoder: nn.Module, device: torch.device, plots_dir: Path | None = None
    ) -> EvaluationReport | dict[str, float]:
        """The evaluation suite on ``encoder`` beside the same suite on the base model (evaluated once).

        Returns an empty dict when the recipe names no evaluation.
        """
        if not self.options.evaluation:
            return {}
        metrics = self.suite(encoder.model)
        if self._base_metrics is None:
            base = self._load_encoder().to(device)
            self._base_metrics = self.suite(base.model)
            del base
        report = EvaluationReport(
            model_name="fine-tuned", baselines=(f"base model ({Path(self.options.model).name})",)
        )
        for name, value in metrics.items():
            report.add(name, model=value, baseline=self._base_metrics[name])
        return report

    def save_encoder(self, encoder: nn.Module, folder: Path) -> None:
        """Write the trained SentenceTransformer (``SentenceTransformer(folder)`` loads it)."""
        save_encoder(encoder.model, folder)

    def dataset_names(self) -> list[str]:
        """The training data's name (file names or Hub ids), for the model card."""
        return [self.options.train_name]

    def evaluation_dataset_name(self) -> str | None:
        """The evaluation sets' names (file names or Hub ids)."""
        return " + ".join(evaluation.data.name for evaluation in self.options.evaluation) or None


def _all_texts(dataset: datasets.Dataset) -> list[str]:
    texts: list[str] = []
    for column in ("text", "anchor", "positive"):
        if column in dataset.column_names:
            texts.extend(dataset[column])
    if "negatives" in dataset.column_names:
        texts.extend(text for negatives in dataset["negatives"] for text in negatives)
    return texts
