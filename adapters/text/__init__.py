"""Text adapter: contrastive fine-tuning of sentence and document embeddings (sentence-transformers models).

- Encoder: `SentenceEncoder` / `load_sentence_encoder` — a SentenceTransformer folder or Hub id, or a plain
  `transformers` encoder with mean / CLS / last-token pooling; saved as a SentenceTransformer folder.
- Data: `TextDataSource` + `ColumnMapping` + `read_text_data` — CSV / TSV / JSONL, saved datasets, Hub
  datasets; bad rows raise a `RowError` naming file, line and column, or are skipped and counted
  (`DataReport`); truncation is measured (`TruncationReport`).
- Views: pairs, hard negatives and scores from data; `TokenDeletion`, `TokenCrop` (also two spans of one
  document), `TokenShuffle` on the device; SimCSE dropout views; `TextBatchSampler` (no repeated text, length
  grouped); repeated texts are never negatives (`shared_text_labels`).
- Methods (registered for recipes): ``text-infonce`` (`TextInfoNCE`), ``text-cosent`` (`TextCoSENT`),
  ``text-triplet`` (`TextTriplet`), ``text-moco`` (`TextMoCo`); GradCache via ``gradcache_chunk_size`` (the
  core's `mmcl.gradcache.encode_in_chunks`).
- Evaluation: `TextEvaluation` / `TextEvaluationSuite` — STS, retrieval, paraphrase classification.
- The adapter: `TextAdapter`, registered as ``text``.
"""

from mmcl.adapter import register_adapter
from mmcl.adapters.text.batch_sampler import TextBatchSampler
from mmcl.adapters.text.column_mapping import ColumnMapping
from mmcl.adapters.text.data_source import TextDataSource, read_text_data
from mmcl.adapters.text.paraphrase_threshold import best_threshold, classification_scores
from mmcl.adapters.text.row_errors import DataReport, RowError, TextDataError
from mmcl.adapters.text.sentence_encoder import SentenceEncoder, load_sentence_encoder
from mmcl.adapters.text.shared_texts import labels_of_texts, shared_text_labels
from mmcl.adapters.text.text_adapter import TextAdapter, TextOptions
from mmcl.adapters.text.text_collator import TextCollator
from mmcl.adapters.text.text_cosent import TextCoSENT
from mmcl.adapters.text.text_evaluation import TextEvaluation, TextEvaluationSuite
from mmcl.adapters.text.text_ids import text_ids
from mmcl.adapters.text.text_info_nce import TextInfoNCE
from mmcl.adapters.text.text_moco import TextMoCo
from mmcl.adapters.text.text_triplet import TextTriplet
from mmcl.adapters.text.token_crop import TokenCrop
from mmcl.adapters.text.token_deletion import TokenDeletion
from mmcl.adapters.text.token_shuffle import TokenShuffle
from mmcl.adapters.text.truncation_report import TruncationReport, measure_truncation
from mmcl.methods import register_method

register_adapter("text")(TextAdapter)

TEXT_METHODS = {
    "text-infonce": TextInfoNCE,
    "text-cosent": TextCoSENT,
    "text-triplet": TextTriplet,
    "text-moco": TextMoCo,
}
"""The text methods, by the name recipes give them."""

for _name, _method in TEXT_METHODS.items():
    register_method(_name, _method)

__all__ = [
    "TEXT_METHODS",
    "ColumnMapping",
    "DataReport",
    "RowError",
    "SentenceEncoder",
    "TextAdapter",
    "TextBatchSampler",
    "TextCoSENT",
    "TextCollator",
    "TextDataError",
    "TextDataSource",
    "TextEvaluation",
    "TextEvaluationSuite",
    "TextInfoNCE",
    "TextMoCo",
    "TextOptions",
    "TextTriplet",
    "TokenCrop",
    "TokenDeletion",
    "TokenShuffle",
    "TruncationReport",
    "best_threshold",
    "classification_scores",
    "labels_of_texts",
    "load_sentence_encoder",
    "measure_truncation",
    "read_text_data",
    "shared_text_labels",
    "text_ids",
]
