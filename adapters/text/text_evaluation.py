"""The text evaluation suite: STS, retrieval and paraphrase classification of frozen sentence embeddings.

Each `TextEvaluation` names a task and its data (`TextDataSource`):

- ``sts``: pairs with gold scores → Spearman and Pearson correlation of the pairs' cosine similarity with the
  scores (`mmcl.evaluation.sts_correlation`); the STS-benchmark convention.
- ``retrieval``: pairs → each distinct anchor is a query, the distinct positives are the corpus, and a query's
  positives are its relevant documents → recall@k, MRR and nDCG@k (`mmcl.evaluation.retrieval_metrics`).
- ``paraphrase``: pairs with 0/1 labels (``score``) → a cosine threshold chosen on the ``dev`` pairs, then
  accuracy and F1 on the test pairs (`paraphrase_threshold`).

Embeddings come from the model's own ``SentenceTransformer.encode`` (what users of the published model get).
Metrics are named ``<evaluation name>/<metric>``, e.g. ``stsb-test/spearman``.

Example:
    >>> sts = TextEvaluation(task="sts", name="stsb-test", data=TextDataSource(
    ...     path="../shared/data/text/stsb/stsb-en-test.csv", header=False,
    ...     columns=ColumnMapping(anchor=0, positive=1, score=2)))  # doctest: +SKIP
    >>> TextEvaluationSuite([sts])(model)  # doctest: +SKIP
    {'stsb-test/spearman': 0.8203, 'stsb-test/pearson': 0.8274}
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import datasets
import numpy as np
import torch
import torch.nn.functional as F
from sentence_transformers import SentenceTransformer

from mmcl.adapters.text.data_source import TextDataSource, read_text_data
from mmcl.adapters.text.paraphrase_threshold import best_threshold, check_binary_labels, classification_scores
from mmcl.evaluation import retrieval_metrics, sts_correlation

Task = Literal["sts", "retrieval", "paraphrase"]


@dataclass
class TextEvaluation:
    """One evaluation of the suite.

    Attributes:
        task: ``sts``, ``retrieval`` or ``paraphrase``.
        data: the evaluation pairs (``anchor``, ``positive``; ``score`` for sts and paraphrase).
        dev: paraphrase only: the pairs the cosine threshold is chosen on.
        name: prefix of the metric names; by default the data's file stem.
        ks: retrieval cut-offs for recall@k and nDCG@k.
    """

    task: Task
    data: TextDataSource
    dev: TextDataSource | None = None
    name: str | None = None
    ks: list[int] = field(default_factory=lambda: [1, 5, 10])

    def __post_init__(self) -> None:
        if not self.data.columns.is_pairs:
            raise ValueError(
                f"data.columns: the {self.task} evaluation reads pairs; map `anchor` and `positive`"
            )
        if self.task in ("sts", "paraphrase") and self.data.columns.score is None:
            kind = "gold similarity score" if self.task == "sts" else "0/1 paraphrase label"
            raise ValueError(f"data.columns.score: the {self.task} evaluation needs the {kind} of each pair")
        if self.task == "paraphrase":
            if self.dev is None or self.dev.columns.score is None or not self.dev.columns.is_pairs:
                raise ValueError(
                    "dev: the paraphrase evaluation chooses its cosine threshold on labelled dev pairs; give `dev` "
                    "with anchor, positive and score (the 0/1 label) columns"
                )
        elif self.dev is not None:
            raise ValueError(
                f"dev: only the paraphrase evaluation uses dev pairs, not {self.task}; remove it"
            )
        if not self.ks or any(k < 1 for k in self.ks):
            raise ValueError(f"ks: retrieval cut-offs must be integers >= 1, got {self.ks}")

    @property
    def label(self) -> str:
        """The metric-name prefix: ``name``, or the data's file stem (or Hub id)."""
        return self.name or Path(self.data.name).stem


class TextEvaluationSuite:
    """Run evaluations on a SentenceTransformer; the data is read (and checked) once, on first use.

    Args:
        evaluations: what to evaluate.
        batch_size: texts per encoding batch.

    Example:
        >>> suite = TextEvaluationSuite([sts_evaluation], batch_size=64)  # doctest: +SKIP
        >>> metrics = suite(model)  # doctest: +SKIP
    """

    def __init__(self, evaluations: list[TextEvaluation], *, batch_size: int = 64) -> None:
        labels = [evaluation.label for evaluation in evaluations]
        repeated = sorted({label for label in labels if labels.count(label) > 1})
        if repeated:
            raise ValueError(f"evaluation names must differ, {', '.join(repeated)} is repeated; set `name`")
        self.evaluations = evaluations
        self.batch_size = batch_size
        self._data: dict[str, tuple[datasets.Dataset, datasets.Dataset | None]] = {}

    def data(self) -> dict[str, tuple[datasets.Dataset, datasets.Dataset | None]]:
        """Each evaluation's (data, dev data), read on first call."""
        if not self._data:
            for evaluation in self.evaluations:
                dev = read_text_data(evaluation.dev)[0] if evaluation.dev is not None else None
                self._data[evaluation.label] = (read_text_data(evaluation.data)[0], dev)
        return self._data

    @torch.no_grad()
    def __call__(self, model: SentenceTransformer) -> dict[str, float]:
        """All metrics of ``model``, named ``<evaluation>/<metric>``."""
        was_training = model.training
        metrics: dict[str, float] = {}
        try:
            for evaluation in self.evaluations:
                data, dev = self.data()[evaluation.label]
                values = self._run(model, evaluation, data, dev)
                metrics |= {f"{evaluation.label}/{name}": value for name, value in values.items()}
        finally:
            model.train(was_training)
        return metrics

    def _run(
        self,
        model: SentenceTransformer,
        evaluation: TextEvaluation,
        data: datasets.Dataset,
        dev: datasets.Dataset | None,
    ) -> dict[str, float]:
        if evaluation.task == "sts":
            first, second = self._pair_embeddings(model, data)
            result = sts_correlation(first, second, list(data["score"]))
            return {"spearman": result.spearman, "pearson": result.pearson}
        if evaluation.task == "retrieval":
            anchors, positives = list(data["anchor"]), list(data["positive"])
            queries, corpus = list(dict.fromkeys(anchors)), list(dict.fromkeys(positives))
            query_row, corpus_row = (
                {q: i for i, q in enumerate(queries)},
                {d: i for i, d in enumerate(corpus)},
            )
            relevant: list[set[int]] = [set() for _ in queries]
            for anchor, positive in zip(anchors, positives, strict=True):
                relevant[query_row[anchor]].add(corpus_row[positive])
            return retrieval_metrics(
                self._encode(model, queries),
                self._encode(model, corpus),
                [sorted(rows) for rows in relevant],
                ks=tuple(evaluation.ks),
            )
        dev_similarities = self._similarities(model, dev)
        dev_labels = check_binary_labels(np.asarray(dev["score"]), f"{evaluation.dev.name}")
        threshold, _ = best_threshold(dev_similarities, dev_labels)
        labels = check_binary_labels(np.asarray(data["score"]), evaluation.data.name)
        return classification_scores(self._similarities(model, data), labels, threshold)

    def _encode(self, model: SentenceTransformer, texts: list[str]) -> torch.Tensor:
        return model.encode(
            texts, batch_size=self.batch_size, convert_to_tensor=True, show_progress_bar=False
        ).float()

    def _pair_embeddings(
        self, model: SentenceTransformer, data: datasets.Dataset
    ) -> tuple[torch.Tensor, torch.Tensor]:
        anchors, positives = list(data["anchor"]), list(data["positive"])
        texts = list(dict.fromkeys(anchors + positives))  # each distinct text encoded once
        row = {text: i for i, text in enumerate(texts)}
        embeddings = self._encode(model, texts)
        first = embeddings[torch.tensor([row[t] for t in anchors], device=embeddings.device)]
        second = embeddings[torch.tensor([row[t] for t in positives], device=embeddings.device)]
        return first, second

    def _similarities(self, model: SentenceTransformer, data: datasets.Dataset) -> np.ndarray:
        first, second = self._pair_embeddings(model, data)
        return F.cosine_similarity(first.double(), second.double(), dim=1).cpu().numpy()
