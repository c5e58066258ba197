"""The model card (``README.md``) of a published encoder: Hub metadata, evaluation with its baseline, usage.

The card opens with YAML metadata the Hub indexes (``library_name: mmcl``, tags for the modality and the
method, the training datasets, the base model, ``pipeline_tag: feature-extraction`` and a ``model-index``
with one entry per evaluation metric), then says what the model is for, how to load it in three lines, the
evaluation table (the model next to its baselines: a number is never shown alone), the training recipe, the
loss curve and the method's citation.

Example:
    >>> from mmcl.model_card import write_model_card
    >>> write_model_card(  # doctest: +SKIP
    ...     "runs/ecg/model",
    ...     modality="timeseries",
    ...     method="ts2vec",
    ...     repo_id="alice/ecg-ts2vec",
    ...     datasets=["ptb-xl"],
    ...     metrics={"linear_probe_auroc": 0.91},
    ...     baseline_metrics={"Random-init encoder": {"linear_probe_auroc": 0.74}},
    ... )
"""

from __future__ import annotations

import math
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from huggingface_hub import EvalResult, ModelCard, ModelCardData

from mmcl.atomic_file import write_atomically

README = "README.md"
LOSS_CURVE_FILE = "loss_curve.png"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class ModelCardError(ValueError):
    """A ``README.md`` is missing or its metadata does not parse as Hub metadata."""


@dataclass(frozen=True)
class Modality:
    """How the card presents an encoder of one modality."""

    tag: str
    purpose: str
    load_snippet: str  # three lines of Python; {repo_id} is replaced by the repo


MODALITIES: dict[str, Modality] = {
    "image": Modality(
        tag="image",
        purpose="It maps an image to an embedding vector, for image retrieval and deduplication, clustering, "
        "classification with a k-nearest-neighbour vote or a linear probe on frozen features, and as a "
        "backbone to fine-tune.",
        load_snippet="from transformers import AutoImageProcessor, AutoModel\n"
        'processor, model = AutoImageProcessor.from_pretrained("{repo_id}"), AutoModel.from_pretrained("{repo_id}")\n'
        'embeddings = model(**processor(images=images, return_tensors="pt")).pooler_output',
    ),
    "text": Modality(
        tag="text",
        purpose="It maps a sentence or a short paragraph to an embedding vector, for semantic search, "
        "clustering, deduplication and semantic textual similarity.",
        load_snippet="from sentence_transformers import SentenceTransformer\n"
        'model = SentenceTransformer("{repo_id}")\n'
        'embeddings = model.encode(["A sentence to embed.", "Another sentence."])',
    ),
    "timeseries": Modality(
        tag="time-series",
        purpose="It maps a multichannel time series (ECG leads, price features) of shape "
        "`(batch, channels, time)` to an embedding vector, for classification with a linear probe or a "
        "k-nearest-neighbour vote on frozen features, retrieval of similar recordings and anomaly detection.",
        load_snippet="from transformers import AutoModel\n"
        'model = AutoModel.from_pretrained("{repo_id}", trust_remote_code=True)\n'
        "embeddings = model(series).pooler_output  # series: float tensor (batch, channels, time)",
    ),
}
"""The modalities of mmcl's adapters, by adapter name."""

METHOD_NAMES: dict[str, str] = {
    "simclr": "SimCLR",
    "moco": "MoCo",
    "moco-v2": "MoCo v2",
    "moco-v3": "MoCo v3",
    "byol": "BYOL",
    "ts2vec": "TS2Vec",
}
"""Display names of the methods mmcl cites, by normalized method name."""

_SIMCLR = """@inproceedings{chen2020simple,
  title     = {A Simple Framework for Contrastive Learning of Visual Representations},
  author    = {Chen, Ting and Kornblith, Simon and Norouzi, Mohammad and Hinton, Geoffrey},
  booktitle = {Proceedings of the 37th International Conference on Machine Learning},
  series    = {Proceedings of Machine Learning Research},
  volume    = {119},
  pages     = {1597--1607},
  year      = {2020}
}"""
_MOCO = """@inproceedings{he2020momentum,
  title     = {Momentum Contrast for Unsupervised Visual Representation Learning},
  author    = {He, Kaiming and Fan, Haoqi and Wu, Yuxin and Xie, Saining and Girshick, Ross},
  booktitle = {Proceedings of the IEEE/CVF Conference on Computer Vision and Pattern Recognition (CVPR)},
  pages     = {9729--9738},
  year      = {2020}
}"""
_MOCO_V2 = """@article{chen2020improved,
  title   = {Improved Baselines with Momentum Contrastive Learning},
  author  = {Chen, Xinlei and Fan, Haoqi and Girshick, Ross and He, Kaiming},
  journal = {arXiv preprint arXiv:2003.04297},
  year    = {2020}
}"""
_MOCO_V3 = """@inproceedings{chen2021empirical,
  title     = {An Empirical Study of Training Self-Supervised Vision Transformers},
  author    = {Chen, Xinlei and Xie, Saining and He, Kaiming},
  booktitle = {Proceedings of the IEEE/CVF International Conference on Computer Vision (ICCV)},
  pages     = {9640--9649},
  year      = {2021}
}"""
_BYOL = """@inproceedings{grill2020bootstrap,
  title     = {Bootstrap Your Own Latent: A New Approach to Self-Supervised Learning},
  author    = {Grill, Jean-Bastien and Strub, Florian and Altch{\\'e}, Florent and Tallec, Corentin and
               Richemond, Pierre H. and Buchatskaya, Elena and Doersch, Carl and Avila Pires, Bernardo and
               Guo, Zhaohan Daniel and Gheshlaghi Azar, Mohammad and Piot, Bilal and Kavukcuoglu, Koray and
               Munos, R{\\'e}mi and Valko, Michal},
  booktitle = {Advances in Neural Information Processing Systems},
  volume    = {33},
  pages     = {21271--21284},
  year      = {2020}
}"""
_TS2VEC = """@inproceedings{yue2022ts2vec,
  title     = {TS2Vec: Towards Universal Representation of Time Series},
  author    = {Yue, Zhihan and Wang, Yujing and Duan, Juanyong and Yang, Tianmeng and Huang, Congrui and
               Tong, Yunhai and Xu, Bixiong},
  booktitle = {Proceedings of the AAAI Conference on Artificial Intelligence},
  volume    = {36},
  number    = {8},
  pages     = {8980--8987},
  year      = {2022}
}"""

CITATIONS: dict[str, str] = {
    "simclr": _SIMCLR,
    "moco": _MOCO,
    "moco-v2": f"{_MOCO_V2}\n\n{_MOCO}",
    "moco-v3": _MOCO_V3,
    "byol": _BYOL,
    "ts2vec": _TS2VEC,
}
"""BibTeX of each method mmcl implements, by normalized method name."""


def write_model_card(
    folder: str | Path,
    *,
    modality: str,
    method: str,
    metrics: Mapping[str, float],
    baseline_metrics: Mapping[str, Mapping[str, float]],
    evaluation_dataset: str | None = None,
    evaluation_task: str = "feature-extraction",
    repo_id: str | None = None,
    base_model: str | None = None,
    datasets: Sequence[str] = (),
    recipe: Mapping[str, Any] | None = None,
    loss_curve_png: str | Path | None = None,
    citation: str | None = None,
    load_snippet: str | None = None,
) -> Path:
    """Write ``folder/README.md``, the model card of the encoder saved in ``folder``, atomically.

    Args:
        folder: The encoder folder (written by `mmcl.hub.save_encoder`).
        modality: ``"image"``, ``"text"`` or ``"timeseries"``; sets the tags, the purpose and the load snippet.
        method: The training method, e.g. ``"simclr"``, ``"moco-v2"``, ``"moco-v3"``, ``"byol"``, ``"ts2vec"``
            (their BibTeX is built in) or any other name (pass its ``citation``).
        metrics: The model's evaluation metrics by name, e.g. ``{"knn_top1": 0.83}``.
        baseline_metrics: The same metrics for each baseline, by the baseline's column header:
            ``{"Random-init encoder": {"knn_top1": 0.41}, "Raw pixels": {...}}``; every metric needs at least
            one baseline value.
        evaluation_dataset: The dataset the metrics were computed on; by default the only entry of
            ``datasets``.
        evaluation_task: The ``model-index`` task type of the metrics.
        repo_id: The Hub repo, used in the title and the load snippet; by default the folder's name.
        base_model: The Hub id of the model training started from, if any.
        datasets: The training datasets (Hub ids where they have one).
        recipe: The training recipe, shown as YAML.
        loss_curve_png: A PNG of the training loss; copied into the folder as ``loss_curve.png`` unless it is
            already inside it, and shown by its relative path.
        citation: BibTeX to cite instead of the method's built-in one.
        load_snippet: Python to show instead of the modality's three-line snippet.

    Returns:
        The path of the README.md.

    Raises:
        ValueError: On an unknown modality, a metric without baseline (or the reverse), a non-finite metric,
            a metric set without an evaluation dataset, a recipe that is not plain YAML data, or a loss
            curve that is not a PNG file.

    Example:
        >>> write_model_card(  # doctest: +SKIP
        ...     "runs/minilm-simcse/model",
        ...     modality="text",
        ...     method="simclr",
        ...     base_model="sentence-transformers/all-MiniLM-L6-v2",
        ...     datasets=["sentence-transformers/stsb"],
        ...     metrics={"sts_spearman": 0.84},
        ...     baseline_metrics={"Base model": {"sts_spearman": 0.82}},
        ... )
        PosixPath('runs/minilm-simcse/model/README.md')
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ValueError(f"write_model_card: {folder} is not a folder; save the encoder there first")
    if modality not in MODALITIES:
        raise ValueError(f"write_model_card: modality must be one of {sorted(MODALITIES)}, got {modality!r}")
    method_key = method.strip().lower().replace("_", "-").replace(" ", "-")
    _check_metrics(metrics, baseline_metrics)
    if metrics and evaluation_dataset is None:
        if len(datasets) != 1:
            raise ValueError(
                "write_model_card: pass evaluation_dataset=<the dataset the metrics were computed on> "
                f"(datasets has {len(datasets)} entries, so it cannot be inferred)"
            )
        evaluation_dataset = datasets[0]
    repo_id = repo_id or folder.name
    loss_curve = _place_loss_curve(Path(loss_curve_png), folder) if loss_curve_png is not None else None

    tags = ["mmcl", "contrastive-learning", MODALITIES[modality].tag, method_key]
    if modality == "text":
        tags.append("sentence-transformers")  # the library text users load the model with
    card_data = ModelCardData(
        library_name="mmcl",
        pipeline_tag="feature-extraction",
        tags=tags,
        datasets=list(datasets) or None,
        base_model=base_model,
        model_name=repo_id,
        eval_results=[
            EvalResult(
                task_type=evaluation_task,
                dataset_type=evaluation_dataset,
                dataset_name=evaluation_dataset,
                metric_type=name,
                metric_name=name,
                metric_value=float(value),
            )
            for name, value in metrics.items()
        ]
        or None,
    )
    sections = [
        _overview(repo_id, modality, method_key, method, base_model, datasets),
        "## How to use\n\n```python\n"
        + (load_snippet or MODALITIES[modality].load_snippet.format(repo_id=repo_id)).strip()
        + "\n```",
        _evaluation_section(metrics, baseline_metrics, evaluation_dataset, evaluation_task),
    ]
    if recipe is not None:
        sections.append(f"## Training recipe\n\n```yaml\n{_recipe_yaml(recipe)}```")
    if loss_curve is not None:
        sections.append(f"## Training loss\n\n![Training loss curve]({loss_curve})")
    citation = citation or CITATIONS.get(method_key)
    if citation is not None:
        sections.append(f"## Citation\n\n```bibtex\n{citation.strip()}\n```")
    content = f"---\n{card_data.to_yaml()}\n---\n\n" + "\n\n".join(sections) + "\n"
    ModelCard(content)  # the card must parse as Hub metadata before it replaces anything
    path = folder / README
    write_atomically(path, lambda temporary: temporary.write_text(content, encoding="utf-8"))
    return path


def check_model_card(path: str | Path) -> ModelCard:
    """Parse ``path`` as a Hub model card, without any network call.

    Returns:
        The parsed card.

    Raises:
        ModelCardError: If the file is missing, has no YAML metadata block, or its metadata (including the
            ``model-index``) does not parse.

    Example:
        >>> card = check_model_card("runs/ecg/model/README.md")  # doctest: +SKIP
        >>> card.data.library_name  # doctest: +SKIP
        'mmcl'
    """
    path = Path(path)
    if not path.is_file():
        raise ModelCardError(f"{path}: missing; write the model card with mmcl.model_card.write_model_card")
    text = path.read_text(encoding="utf-8")
    if not text.startswith("---"):
        raise ModelCardError(
            f"{path}: no YAML metadata block (a first line '---'); write the card with "
            "mmcl.model_card.write_model_card"
        )
    try:
        card = ModelCard(text)
    except (ValueError, yaml.YAMLError) as error:
        raise ModelCardError(f"{path}: the metadata does not parse as Hub metadata: {error}") from error
    if not card.data.to_dict():
        raise ModelCardError(f"{path}: the metadata block is empty; write the card with write_model_card")
    return card


def _check_metrics(metrics: Mapping[str, float], baseline_metrics: Mapping[str, Mapping[str, float]]) -> None:
    for column, values in baseline_metrics.items():
        if not isinstance(values, Mapping):
            raise ValueError(
                f"write_model_card: baseline_metrics[{column!r}] is {values!r}; baseline_metrics maps each "
                "baseline's column header to its metrics, e.g. {'Random-init encoder': {'knn_top1': 0.41}}"
            )
    with_baseline = {name for values in baseline_metrics.values() for name in values}
    without_baseline = sorted(set(metrics) - with_baseline)
    if without_baseline:
        raise ValueError(
            f"write_model_card: metrics {without_baseline} have no baseline; add them to baseline_metrics "
            "(a number is never shown alone)"
        )
    without_model = sorted(with_baseline - set(metrics))
    if without_model:
        raise ValueError(f"write_model_card: baseline_metrics {without_model} are not in metrics")
    sources = [("metrics", metrics)]
    sources += [(f"baseline_metrics[{column!r}]", values) for column, values in baseline_metrics.items()]
    for source, values in sources:
        for name, value in values.items():
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise ValueError(
                    f"write_model_card: {source}[{name!r}] must be a finite number, got {value!r}"
                )


def _overview(
    repo_id: str,
    modality: str,
    method_key: str,
    method: str,
    base_model: str | None,
    datasets: Sequence[str],
) -> str:
    method_name = METHOD_NAMES.get(method_key, method)
    text = (
        f"# {repo_id}\n\nA {MODALITIES[modality].tag} encoder trained with {method_name} using mmcl, a "
        f"contrastive representation-learning library built on Hugging Face. {MODALITIES[modality].purpose}"
    )
    facts = []
    if base_model is not None:
        facts.append(f"- Base model: [{base_model}](https://huggingface.co/{base_model})")
    if datasets:
        facts.append(f"- Training data: {', '.join(datasets)}")
    return text + ("\n\n" + "\n".join(facts) if facts else "")


def _evaluation_section(
    metrics: Mapping[str, float],
    baseline_metrics: Mapping[str, Mapping[str, float]],
    dataset: str | None,
    task: str,
) -> str:
    if not metrics:
        return "## Evaluation\n\nThis model has not been evaluated yet."
    columns = [column for column, values in baseline_metrics.items() if values]

    def row(name: str, value: float) -> str:
        baselines = [baseline_metrics[column].get(name) for column in columns]
        cells = [
            name,
            _format_number(value),
            *("—" if other is None else _format_number(other) for other in baselines),
        ]
        return "| " + " | ".join(cells) + " |"

    rows = [row(name, value) for name, value in metrics.items()]
    return "\n".join(
        [
            "## Evaluation",
            "",
            f"Evaluated on {dataset} with frozen embeddings ({task}), next to the baselines: {', '.join(columns)}.",
            "",
            "| Metric | This model | " + " | ".join(columns) + " |",
            "|---|---:|" + "---:|" * len(columns),
            *rows,
        ]
    )


def _format_number(value: float) -> str:
    return f"{value:.4g}"


def _recipe_yaml(recipe: Mapping[str, Any]) -> str:
    try:
        return yaml.safe_dump(dict(recipe), sort_keys=False, default_flow_style=False, allow_unicode=True)
    except yaml.representer.RepresenterError as error:
        raise ValueError(
            f"write_model_card: recipe must hold plain YAML values (str, numbers, lists, dicts): {error}"
        ) from error


def _place_loss_curve(png: Path, folder: Path) -> str:
    """The loss curve's path relative to ``folder``, copying it into ``folder`` when it is outside."""
    if not png.is_file():
        raise ValueError(f"write_model_card: loss_curve_png {png} does not exist")
    with png.open("rb") as handle:
        if handle.read(len(PNG_SIGNATURE)) != PNG_SIGNATURE:
            raise ValueError(f"write_model_card: loss_curve_png {png} is not a PNG file")
    if png.resolve().is_relative_to(folder.resolve()):
        return png.resolve().relative_to(folder.resolve()).as_posix()
    write_atomically(folder / LOSS_CURVE_FILE, lambda temporary: shutil.copyfile(png, temporary))
    return LOSS_CURVE_FILE
