"""``mmcl evaluate``: run a saved model folder (or a Hub repo) through its adapter's evaluation suite.

The folder's ``training_recipe.yaml`` (written by ``mmcl train``) names the adapter and its options; overrides
change them (``--set adapter.<key>=...``), and ``--data`` / ``--task`` are shorthands for the adapter options
``evaluation_data`` / ``evaluation_task`` where the adapter has them. The adapter loads the encoder it saved,
evaluates it frozen, and the report — every metric beside its baseline — is printed and written to
``metrics.json`` with the adapter's plots.

Example:
    >>> from mmcl.evaluate import evaluate_model
    >>> report = evaluate_model("runs/ecg-pretrain/model", output_dir="eval")  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import torch

from mmcl.evaluation.report import METRICS_JSON, EvaluationReport
from mmcl.recipe import RecipeError, load_recipe

RECIPE_FILE = "training_recipe.yaml"
SHORTHANDS = {"data": "evaluation_data", "task": "evaluation_task"}


def local_model_folder(model: str | Path, *, revision: str | None = None) -> Path:
    """``model`` itself when it is a folder; otherwise a Hub repo id, downloaded to the local cache."""
    path = Path(model)
    if path.is_dir():
        return path
    from huggingface_hub import snapshot_download

    return Path(snapshot_download(repo_id=str(model), revision=revision))


def evaluate_model(
    model: str | Path,
    overrides: Sequence[str] = (),
    *,
    data: str | None = None,
    task: str | None = None,
    output_dir: str | Path | None = None,
    revision: str | None = None,
) -> EvaluationReport | dict[str, float]:
    """Evaluate the encoder saved in ``model`` with the adapter that trained it.

    Args:
        model: a model folder written by ``mmcl train`` or a Hub repo id of one.
        overrides: ``"adapter.key=value"`` strings applied to the folder's training recipe.
        data: sets the adapter's ``evaluation_data`` option.
        task: sets the adapter's ``evaluation_task`` option.
        output_dir: where ``metrics.json`` and the plots go (default: ``<model folder>/evaluation``).
        revision: the Hub revision, for a repo id.

    Returns:
        The adapter's report (or metrics dict), also written to ``<output_dir>/metrics.json``.

    Raises:
        RecipeError: the folder has no training recipe, or an override or shorthand does not fit it.
    """
    folder = local_model_folder(model, revision=revision)
    recipe_file = folder / RECIPE_FILE
    if not recipe_file.is_file():
        raise RecipeError(
            str(folder),
            [f"{RECIPE_FILE} not found: evaluate a model folder written by `mmcl train` (its recipe names the "
             "adapter and its evaluation)"],
        )  # fmt: skip
    shorthands = {SHORTHANDS["data"]: data, SHORTHANDS["task"]: task}
    overrides = [
        *overrides,
        *(f"adapter.{key}={value}" for key, value in shorthands.items() if value is not None),
    ]
    recipe = load_recipe(recipe_file, overrides)
    adapter = recipe.adapter.build()
    device = (
        torch.accelerator.current_accelerator() if torch.accelerator.is_available() else torch.device("cpu")
    )
    encoder = adapter.load_encoder(folder).to(device).eval()
    output_dir = Path(output_dir) if output_dir is not None else folder / "evaluation"
    output_dir.mkdir(parents=True, exist_ok=True)
    with torch.no_grad():
        result = adapter.evaluate(encoder, device, output_dir)
    if isinstance(result, EvaluationReport):
        result.write_json(output_dir / METRICS_JSON)
    return result
