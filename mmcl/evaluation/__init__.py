"""Frozen-representation evaluation: protocols that score ``(N, D)`` embeddings, whatever their modality.

- ``knn_accuracy`` / ``knn_predict``: temperature-weighted kNN (InstDisc / lightly), chunked in torch;
- ``fit_linear_probe``: logistic regression with ``C`` chosen by cross-validation on the training split;
- ``fit_svm_probe``: the UCR protocol of T-Loss / TS2Vec (RBF SVM, ``C`` by grid search);
- ``label_efficiency_curve``: accuracy at 1 %, 10 %, 100 % of the training labels, over seeds;
- ``retrieval_metrics``: recall@k, MRR, nDCG@k; ``sts_correlation``: Spearman / Pearson of cosine vs gold;
- ``EvaluationReport``: results beside their baselines, as a text table and ``metrics.json``.

Example:
    >>> import torch
    >>> from mmcl.evaluation import EvaluationReport, knn_accuracy
    >>> train, test = torch.randn(500, 32), torch.randn(100, 32)
    >>> train_labels, test_labels = torch.arange(500) % 5, torch.arange(100) % 5
    >>> report = EvaluationReport(model_name="model", baselines=("raw features",))
    >>> report.add(
    ...     "knn_top1",
    ...     model=knn_accuracy(train, train_labels, test, test_labels, k=20),
    ...     baseline=knn_accuracy(train, train_labels, test, test_labels, k=20),
    ... )
"""

from mmcl.evaluation.knn import knn_accuracy, knn_predict
from mmcl.evaluation.label_efficiency import (
    LabelEfficiencyCurve,
    label_efficiency_curve,
    stratified_subsample,
)
from mmcl.evaluation.linear_probe import fit_linear_probe, fit_softmax_regression
from mmcl.evaluation.probe_result import ProbeResult
from mmcl.evaluation.report import METRICS_JSON, EvaluationReport, MetricRow
from mmcl.evaluation.retrieval import retrieval_metrics
from mmcl.evaluation.sts import STSResult, average_ranks, sts_correlation
from mmcl.evaluation.svm import fit_svm_probe

__all__ = [
    "METRICS_JSON",
    "EvaluationReport",
    "LabelEfficiencyCurve",
    "MetricRow",
    "ProbeResult",
    "STSResult",
    "average_ranks",
    "fit_linear_probe",
    "fit_softmax_regression",
    "fit_svm_probe",
    "knn_accuracy",
    "knn_predict",
    "label_efficiency_curve",
    "retrieval_metrics",
    "stratified_subsample",
    "sts_correlation",
]
