"""Saving, loading and publishing encoders in the Hub formats users download (DESIGN.md, "Hub formats").

Three kinds of encoder folder, told apart by their files:

- **remote code** — a `transformers` model whose classes are not part of `transformers` (the time-series
  encoders): ``config.json`` with an ``auto_map``, ``model.safetensors`` and the modeling file, so
  ``AutoModel.from_pretrained(repo, trust_remote_code=True)`` works where mmcl is not installed;
- **sentence-transformers** — a ``SentenceTransformer`` folder (``modules.json``): ``SentenceTransformer(repo)``;
- **transformers** — any other `transformers` model (an image backbone) with its image processor or
  tokenizer: ``AutoModel.from_pretrained(repo)``.

Every write is atomic (`mmcl.atomic_folder`) and a push is one commit, so neither a crash nor a failed
upload leaves half a model behind.

Example:
    >>> from mmcl.hub import load_encoder, push_to_hub, save_encoder
    >>> save_encoder(encoder, "runs/ecg/model")  # doctest: +SKIP
    >>> encoder = load_encoder("runs/ecg/model")  # doctest: +SKIP
    >>> push_to_hub("runs/ecg/model", "alice/ecg-ts2vec", dry_run=True)  # doctest: +SKIP
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from huggingface_hub import CommitInfo, CommitOperationAdd, HfApi, get_token, hf_hub_download
from huggingface_hub.errors import EntryNotFoundError, HfHubHTTPError, HFValidationError
from huggingface_hub.utils import validate_repo_id

from mmcl.atomic_folder import atomic_folder
from mmcl.model_card import ModelCardError, check_model_card

if TYPE_CHECKING:
    from torch import nn

FolderKind = Literal["remote-code", "sentence-transformers", "transformers"]
"""The format of an encoder folder, as `folder_kind` reads it from the folder's files."""

PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".pkl", ".pickle", ".ckpt")
"""Weight files mmcl never publishes: loading them unpickles, which can run arbitrary code."""

IMAGE_PROCESSOR_FILES = ("preprocessor_config.json", "processor_config.json")

DEFAULT_COMMIT_MESSAGE = "Upload encoder with mmcl"

EXIT_INVALID_FOLDER = 2
EXIT_PUSH_FAILED = 1


class ModelFolderError(ValueError):
    """A folder is not a complete encoder folder of a known kind; the message lists every problem."""


class PushError(RuntimeError):
    """The Hub refused a push; nothing was committed."""


@dataclass(frozen=True)
class UploadFile:
    """One file of a push: its path in the repo (POSIX, relative to the folder) and its size in bytes."""

    path: str
    size: int


def save_encoder(encoder: nn.Module, folder: str | Path, *, processor: Any = None) -> Path:
    """Write ``encoder`` (and its ``processor``) to ``folder`` in the Hub format of its kind, atomically.

    - a `transformers` ``PreTrainedModel`` whose classes are not part of `transformers` → ``config.json``
      (with ``auto_map``) + ``model.safetensors`` + its modeling file, loadable with
      ``AutoModel.from_pretrained(folder, trust_remote_code=True)`` without mmcl;
    - a ``SentenceTransformer`` → its own folder format (it carries its tokenizer);
    - any other ``PreTrainedModel`` → ``save_pretrained`` plus ``processor.save_pretrained`` (required for
      vision models, whose users need the image processor).

    An existing folder is replaced only once the new one is complete; a crash leaves it untouched.

    Args:
        encoder: The encoder to save.
        folder: Destination folder.
        processor: The image processor or tokenizer of a `transformers` encoder.

    Returns:
        The folder.

    Raises:
        TypeError: If ``encoder`` is neither a ``PreTrainedModel`` nor a ``SentenceTransformer``.
        ValueError: If a remote-code model's files would not load without mmcl, if a vision model comes
            without its image processor, or if a ``SentenceTransformer`` is given a ``processor``.

    Example:
        >>> from transformers import AutoImageProcessor, AutoModel
        >>> backbone = AutoModel.from_pretrained("microsoft/resnet-18")  # doctest: +SKIP
        >>> processor = AutoImageProcessor.from_pretrained("microsoft/resnet-18")  # doctest: +SKIP
        >>> save_encoder(backbone, "runs/resnet/model", processor=processor)  # doctest: +SKIP
        PosixPath('runs/resnet/model')
    """
    folder = Path(folder)
    kind = encoder_kind(encoder)
    if kind == "sentence-transformers":
        if processor is not None:
            raise ValueError(
                "save_encoder: a SentenceTransformer saves its own tokenizer; drop the processor argument"
            )
    elif kind == "remote-code":
        _check_modeling_file_is_self_contained(encoder)
    elif processor is None and _needs_image_processor(encoder.config.model_type):
        raise ValueError(
            f"save_encoder: {type(encoder).__name__} ({encoder.config.model_type!r}) is a vision model; pass "
            "its image processor, e.g. processor=AutoImageProcessor.from_pretrained(<base model>), so that "
            "users can prepare images the way it was trained"
        )
    with atomic_folder(folder) as partial:
        if kind == "sentence-transformers":
            encoder.save(str(partial), create_model_card=False)
        else:
            if kind == "remote-code":
                type(encoder).register_for_auto_class("AutoModel")
                type(encoder.config).register_for_auto_class("AutoConfig")
            encoder.save_pretrained(partial)
            if processor is not None:
                processor.save_pretrained(partial)
    return folder


def encoder_kind(encoder: nn.Module) -> FolderKind:
    """The folder format ``save_encoder`` writes for ``encoder``.

    Raises:
        TypeError: If ``encoder`` is neither a ``PreTrainedModel`` nor a ``SentenceTransformer``.

    Example:
        >>> from transformers import BertConfig, BertModel
        >>> encoder_kind(BertModel(BertConfig(hidden_size=32, num_hidden_layers=1, num_attention_heads=2)))
        'transformers'
    """
    from transformers import PreTrainedModel

    # Without sentence_transformers imported, no object can be a SentenceTransformer (and the import is slow).
    sentence_transformers = sys.modules.get("sentence_transformers")
    if sentence_transformers is not None and isinstance(encoder, sentence_transformers.SentenceTransformer):
        return "sentence-transformers"
    if isinstance(encoder, PreTrainedModel):
        return "transformers" if type(encoder).__module__.startswith("transformers.") else "remote-code"
    raise TypeError(
        f"save_encoder: cannot publish a {type(encoder).__module__}.{type(encoder).__qualname__}; the Hub formats "
        "are a transformers PreTrainedModel (image backbones, time-series encoders) or a "
        "sentence_transformers.SentenceTransformer (text). Save the model inside it, e.g. method.encoder"
    )


def load_encoder(
    folder_or_hub_id: str | Path, *, revision: str | None = None, trust_remote_code: bool = False
) -> nn.Module:
    """Load an encoder saved by `save_encoder`, from a local folder or a Hub repo.

    A local folder is read by its files: ``modules.json`` → ``SentenceTransformer``; a ``config.json``
    whose ``model_type`` is registered with ``AutoConfig`` (``import mmcl.adapters.timeseries`` registers
    the time-series encoders) → that class, without remote code; a ``config.json`` with an ``auto_map`` whose
    modeling file is in the folder → ``AutoModel`` with ``trust_remote_code=True`` (the code is the
    folder's own); otherwise ``AutoModel``. A Hub repo goes through the libraries' own ``from_pretrained``
    and runs the repo's code only with ``trust_remote_code=True``.

    Args:
        folder_or_hub_id: A folder, or a Hub model id such as ``"alice/ecg-ts2vec"``.
        revision: Branch, tag or commit of a Hub repo.
        trust_remote_code: Allow a Hub repo's own modeling code to run (local folders need no permission).

    Returns:
        The encoder, in eval mode.

    Raises:
        ModelFolderError: If a local folder is not an encoder folder of a known kind, or the argument is
            neither an existing folder nor a valid Hub repo id.

    Example:
        >>> encoder = load_encoder("runs/ecg/model")  # doctest: +SKIP
        >>> encoder = load_encoder("alice/ecg-ts2vec", trust_remote_code=True)  # doctest: +SKIP
    """
    path = Path(folder_or_hub_id)
    if path.exists():
        return _load_local_encoder(path).eval()
    try:
        validate_repo_id(str(folder_or_hub_id))
    except HFValidationError as error:
        raise ModelFolderError(
            f"{folder_or_hub_id}: no such folder, and not a Hub repo id (<user or organization>/<name>)"
        ) from error
    return _load_hub_encoder(str(folder_or_hub_id), revision, trust_remote_code).eval()


def folder_kind(folder: str | Path) -> FolderKind:
    """The kind of encoder folder ``folder`` holds, read from its files.

    Raises:
        ModelFolderError: If ``folder`` is not a folder, has neither ``modules.json`` nor ``config.json``,
            or its ``config.json`` is not a JSON object.

    Example:
        >>> folder_kind("runs/ecg/model")  # doctest: +SKIP
        'remote-code'
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ModelFolderError(f"{folder}: not a folder; give the folder save_encoder wrote")
    if (folder / "modules.json").is_file():
        return "sentence-transformers"
    if not (folder / "config.json").is_file():
        raise ModelFolderError(
            f"{folder}: neither modules.json (a SentenceTransformer) nor config.json (a transformers model); "
            "write the folder with mmcl.hub.save_encoder"
        )
    return "remote-code" if "AutoModel" in _read_config(folder).get("auto_map", {}) else "transformers"


def files_to_upload(folder: str | Path) -> list[UploadFile]:
    """Check that ``folder`` is a complete encoder folder with a valid model card; list what a push uploads.

    Every file under ``folder`` is uploaded except hidden ones (a name starting with ``.``). The folder must
    hold the files of its kind (`folder_kind`), safetensors weights and no pickled weights, and a
    ``README.md`` whose metadata parses as Hub metadata (`mmcl.model_card.check_model_card`).

    Returns:
        The files, sorted by path.

    Raises:
        ModelFolderError: Listing every problem found.

    Example:
        >>> [file.path for file in files_to_upload("runs/ecg/model")]  # doctest: +SKIP
        ['README.md', 'config.json', 'model.safetensors', 'modeling_ts2vec.py']
    """
    folder = Path(folder)
    kind = folder_kind(folder)
    files = [
        UploadFile(path.relative_to(folder).as_posix(), path.stat().st_size)
        for path in sorted(folder.rglob("*"))
        if path.is_file() and not any(part.startswith(".") for part in path.relative_to(folder).parts)
    ]
    names = {file.path for file in files}
    problems = [
        f"{name}: pickled weights are never published (loading them can run arbitrary code); delete it, the "
        "safetensors weights are enough"
        for name in sorted(names)
        if name.endswith(PICKLE_SUFFIXES)
    ]
    if not any(name.endswith(".safetensors") for name in names):
        problems.append("no *.safetensors weights; write the folder with mmcl.hub.save_encoder")
    if kind == "sentence-transformers":
        problems += _sentence_transformers_problems(folder)
    else:
        problems += _transformers_problems(folder, names)
    try:
        check_model_card(folder / "README.md")
    except ModelCardError as error:
        problems.append(str(error))
    if problems:
        raise ModelFolderError(f"{folder} cannot be pushed:\n- " + "\n- ".join(problems))
    return files


def push_to_hub(
    folder: str | Path,
    repo_id: str,
    *,
    private: bool = False,
    revision: str | None = None,
    token: str | None = None,
    dry_run: bool = False,
    commit_message: str = DEFAULT_COMMIT_MESSAGE,
) -> list[UploadFile] | CommitInfo:
    """Publish an encoder folder as the Hub model repo ``repo_id``, in one commit.

    The folder is checked first (`files_to_upload`). Then the repo is created if needed (``private`` applies
    to a new repo only), the branch ``revision`` too, and every file goes up in a single commit: if anything
    fails, the repo's files are as they were.

    Args:
        folder: An encoder folder written by `save_encoder`, with a model card.
        repo_id: ``"<user or organization>/<name>"``.
        private: Create the repo as private.
        revision: Branch to commit to (created from the default branch if missing); the default branch
            when None.
        token: A Hub token with write access; by default ``HF_TOKEN`` or the token saved by
            ``hf auth login``.
        dry_run: Only check the folder and print the files that would be uploaded; no network call.
        commit_message: The commit's message.

    Returns:
        With ``dry_run``, the files that would be uploaded; otherwise the commit's `CommitInfo`.

    Raises:
        ModelFolderError: If the folder is incomplete or its model card does not parse.
        PushError: Without a token, if the Hub rejects the token, if the repo belongs to someone else, or
            if the upload fails.

    Example:
        >>> push_to_hub("runs/ecg/model", "alice/ecg-ts2vec", dry_run=True)  # doctest: +SKIP
        Dry run: 4 files (1.2 MB) would be uploaded to alice/ecg-ts2vec (default branch) in one commit:
        ...
    """
    folder = Path(folder)
    files = files_to_upload(folder)
    if dry_run:
        print(_upload_plan(files, repo_id, revision))
        return files
    token = token or get_token()
    if token is None:
        raise PushError(
            f"cannot push to {repo_id!r}: no Hugging Face token. Log in with `hf auth login`, set the HF_TOKEN "
            "environment variable, or pass token=; the token needs write access "
            "(https://huggingface.co/settings/tokens)"
        )
    api = HfApi(token=token)
    try:
        api.create_repo(repo_id, repo_type="model", private=private, exist_ok=True)
        if revision is not None:
            api.create_branch(repo_id, branch=revision, repo_type="model", exist_ok=True)
        return api.create_commit(
            repo_id,
            operations=[CommitOperationAdd(file.path, folder / file.path) for file in files],
            commit_message=commit_message,
            repo_type="model",
            revision=revision,
        )
    except HfHubHTTPError as error:
        raise PushError(_explain_push_failure(error, repo_id)) from error


def add_push_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the arguments of ``mmcl push MODEL_DIR REPO_ID [--private] [--revision R] [--dry-run]``.

    Example:
        >>> parser = argparse.ArgumentParser(prog="mmcl push")
        >>> add_push_arguments(parser)
        >>> parser.parse_args(["runs/ecg/model", "alice/ecg", "--dry-run"]).dry_run
        True
    """
    parser.add_argument("model_dir", metavar="MODEL_DIR", help="an encoder folder with its model card")
    parser.add_argument(
        "repo_id", metavar="REPO_ID", help="the Hub model repo, <user or organization>/<name>"
    )
    parser.add_argument("--private", action="store_true", help="create the repo as private (new repos only)")
    parser.add_argument(
        "--revision", metavar="BRANCH", help="branch to commit to (created if missing); default: main branch"
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="check the folder and model card and list the files that would be uploaded; no network access",
    )


def run_push(arguments: argparse.Namespace) -> int:
    """Run ``mmcl push`` with the arguments of `add_push_arguments`; returns the exit status.

    Problems are printed on stderr without a traceback: an incomplete folder or invalid card exits with 2,
    a refused or failed push with 1. The token comes from ``HF_TOKEN`` or ``hf auth login``.

    Example:
        >>> parser = argparse.ArgumentParser(prog="mmcl push")
        >>> add_push_arguments(parser)
        >>> run_push(parser.parse_args(["runs/ecg/model", "alice/ecg", "--dry-run"]))  # doctest: +SKIP
        0
    """
    try:
        result = push_to_hub(
            arguments.model_dir,
            arguments.repo_id,
            private=arguments.private,
            revision=arguments.revision,
            dry_run=arguments.dry_run,
        )
    except ModelFolderError as error:
        print(f"mmcl: error: {error}", file=sys.stderr)
        return EXIT_INVALID_FOLDER
    except PushError as error:
        print(f"mmcl: error: {error}", file=sys.stderr)
        return EXIT_PUSH_FAILED
    if isinstance(result, CommitInfo):
        print(f"pushed {arguments.model_dir} to {arguments.repo_id}: {result.commit_url}")
    return 0


def _load_local_encoder(folder: Path) -> nn.Module:
    kind = folder_kind(folder)
    if kind == "sentence-transformers":
        from sentence_transformers import SentenceTransformer

        return SentenceTransformer(str(folder))
    from transformers import AutoModel
    from transformers.models.auto.configuration_auto import CONFIG_MAPPING

    config = _read_config(folder)
    if kind == "transformers" or config.get("model_type") in CONFIG_MAPPING:
        return AutoModel.from_pretrained(folder)
    code_file = _code_file(config["auto_map"]["AutoModel"])
    if code_file is None or not (folder / code_file).is_file():
        raise ModelFolderError(
            f"{folder / 'config.json'}: auto_map.AutoModel is {config['auto_map']['AutoModel']!r} but its "
            f"modeling file is not in the folder and model_type {config.get('model_type')!r} is not "
            "registered; import the module registering it, or save the folder again with mmcl.hub.save_encoder"
        )
    return AutoModel.from_pretrained(folder, trust_remote_code=True)


def _load_hub_encoder(repo_id: str, revision: str | None, trust_remote_code: bool) -> nn.Module:
    try:
        hf_hub_download(repo_id, "modules.json", revision=revision)
    except EntryNotFoundError:
        from transformers import AutoModel

        return AutoModel.from_pretrained(repo_id, revision=revision, trust_remote_code=trust_remote_code)
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(repo_id, revision=revision, trust_remote_code=trust_remote_code)


def _read_config(folder: Path) -> dict[str, Any]:
    path = folder / "config.json"
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ModelFolderError(f"{path}: not valid JSON ({error}); save the folder again") from error
    if not isinstance(config, dict):
        raise ModelFolderError(f"{path}: expected a JSON object, got {type(config).__name__}")
    return config


def _code_file(class_reference: str) -> str | None:
    """The modeling file an ``auto_map`` entry names, or None when the code lives in another repo
    (``"other/repo--modeling_x.Class"``)."""
    if "--" in class_reference:
        return None
    return class_reference.rsplit(".", 1)[0] + ".py"


def _needs_image_processor(model_type: str) -> bool:
    from transformers.models.auto.image_processing_auto import IMAGE_PROCESSOR_MAPPING_NAMES

    return model_type in IMAGE_PROCESSOR_MAPPING_NAMES


def _check_modeling_file_is_self_contained(encoder: nn.Module) -> None:
    """The modeling file is copied into the folder and must run where mmcl is not installed."""
    from transformers.dynamic_module_utils import get_imports, get_relative_import_files

    model_class, config_class = type(encoder), type(encoder.config)
    if config_class.__module__.startswith("transformers."):
        raise ValueError(
            f"save_encoder: {model_class.__name__} uses the transformers config {config_class.__name__}; give it "
            "its own config class (with its own model_type) in its modeling file, so that AutoModel finds "
            f"{model_class.__name__} rather than the transformers model of {config_class.model_type!r}"
        )
    if model_class.__module__ != config_class.__module__:
        raise ValueError(
            f"save_encoder: {model_class.__name__} ({model_class.__module__}) and {config_class.__name__} "
            f"({config_class.__module__}) must be defined in one modeling file, which is copied into the folder"
        )
    modeling_file = Path(sys.modules[model_class.__module__].__file__)
    for path in [modeling_file, *map(Path, get_relative_import_files(modeling_file))]:
        if "mmcl" in get_imports(path):
            raise ValueError(
                f"save_encoder: {path} imports mmcl, so the saved folder would not load where mmcl is not "
                "installed; make the modeling file self-contained (torch, transformers and the standard "
                "library only)"
            )


def _sentence_transformers_problems(folder: Path) -> list[str]:
    path = folder / "modules.json"
    try:
        modules = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        return [f"{path.name}: not valid JSON ({error}); save the SentenceTransformer again"]
    if not (isinstance(modules, list) and all(isinstance(m, dict) and "path" in m for m in modules)):
        return [
            f"{path.name}: expected a list of modules, each with a 'path'; save the SentenceTransformer again"
        ]
    return [
        f"{path.name}: module {module.get('name', '?')!r} is in {module['path']!r}, which is missing"
        for module in modules
        if not (folder / module["path"]).is_dir()
    ]


def _transformers_problems(folder: Path, names: set[str]) -> list[str]:
    config = _read_config(folder)
    problems = []
    if not {"model.safetensors", "model.safetensors.index.json"} & names:
        problems.append("model.safetensors: missing; write the folder with mmcl.hub.save_encoder")
    for auto_class, reference in config.get("auto_map", {}).items():
        code_file = _code_file(reference)
        if code_file is not None and code_file not in names:
            problems.append(
                f"config.json: auto_map.{auto_class} names {code_file}, which is missing; without it the repo "
                "does not load with trust_remote_code=True. Save the folder again with mmcl.hub.save_encoder"
            )
    model_type = config.get("model_type", "")
    if _needs_image_processor(model_type) and not set(IMAGE_PROCESSOR_FILES) & names:
        problems.append(
            f"preprocessor_config.json: missing for the vision model {model_type!r}; save the encoder with "
            "processor=<its image processor>"
        )
    return problems


def _upload_plan(files: list[UploadFile], repo_id: str, revision: str | None) -> str:
    total = sum(file.size for file in files)
    branch = revision if revision is not None else "default branch"
    width = max(len(file.path) for file in files)
    lines = [
        f"Dry run: {len(files)} files ({_human_size(total)}) would be uploaded to {repo_id} ({branch}) in one "
        "commit:",
        *(f"  {file.path:<{width}}  {_human_size(file.size):>9}" for file in files),
        "README.md: valid Hub metadata.",
    ]
    return "\n".join(lines)


def _human_size(size: int) -> str:
    if size < 1000:
        return f"{size} B"
    scaled, unit = size / 1000, "kB"
    for larger_unit in ("MB", "GB"):
        if scaled < 1000:
            break
        scaled, unit = scaled / 1000, larger_unit
    return f"{scaled:.1f} {unit}"


def _explain_push_failure(error: HfHubHTTPError, repo_id: str) -> str:
    status = error.response.status_code if error.response is not None else None
    if status == 401:
        return (
            f"cannot push to {repo_id!r}: the Hub rejected the token (401 Unauthorized); it is invalid or "
            "expired. Log in again with `hf auth login` or set HF_TOKEN to a token with write access "
            "(https://huggingface.co/settings/tokens). Nothing was uploaded"
        )
    if status in (403, 409):
        namespace = repo_id.split("/")[0] if "/" in repo_id else "your namespace"
        return (
            f"cannot push to {repo_id!r} ({status}): the name is taken by a repo this token cannot write to "
            f"(it belongs to another user or organization than yours, or {namespace!r} does not grant you "
            "write access), or the token is read-only. Choose another REPO_ID under your own namespace "
            "(<your-username>/<name>), or use a token with write access to it. Nothing was uploaded"
        )
    return (
        f"pushing to {repo_id!r} failed ({status if status is not None else 'no response'}): {error}. The "
        "upload is a single commit, so nothing was committed and the repo's files are as they were; run the "
        "push again"
    )
