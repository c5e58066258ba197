"""Recipes: YAML files naming the adapter, method, optimizer, schedule and run settings, validated up front.

A recipe is loaded, overridden (``--set train.max_steps=100``) and checked against the schema below before
any data is read or any model is built. Every problem is reported at once, with the key, what was expected
and how to fix it: an unknown key names the closest valid one, a missing key says so, a wrong type names the
expected type, an ``ExistingPath`` that does not exist names the path it looked for.

Schema (``?`` marks optional keys; defaults in parentheses)::

    name?: str                  (the file's stem)   run name: default output folder, tracker project
    description?: str           one line shown by `mmcl recipes`
    imports?: [str]             modules (``my_pkg.adapters``) or files (``my_adapter.py``, relative to the
                                recipe) imported first, so they can register adapters / methods
    adapter:                    name: a registered adapter; the other keys are the adapter's ``Options``
    method:                     name: simclr | moco | byol | a registered method; the other keys are the
                                method's hyperparameters (its constructor's keyword arguments)
    train:                      TrainOptions: batch_size, max_steps | epochs, gradient_accumulation_steps, ...
    optimizer:                  name: adamw | sgd | lars, lr, ... (mmcl.optim)
    schedule?:                  name: cosine | linear | constant, warmup_steps, final_lr_ratio
    checkpoint?:                every_n_steps, keep_last
    evaluation?:                every_n_steps, at_end
    output?:                    dir (runs/<name>), trackers (auto)

Example:
    >>> from mmcl.recipe import load_recipe
    >>> recipe = load_recipe("recipe.yaml", ["train.max_steps=10"])  # doctest: +SKIP
    >>> recipe.train.max_steps  # doctest: +SKIP
    10
"""

from __future__ import annotations

import dataclasses
import difflib
import importlib
import importlib.resources
import importlib.util
import inspect
import sys
import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from mmcl.adapter import Adapter, get_adapter
from mmcl.optim import AdamWOptions, LARSOptions, OptimizerOptions, ScheduleOptions, SGDOptions

BUNDLED_RECIPES_PACKAGE = "mmcl.recipes"
ENGINE_SET_METHOD_ARGUMENTS = ("encoder", "feature_dim", "total_steps")
"""Method constructor arguments the engine provides; a recipe may not set them."""


class RecipeError(ValueError):
    """A recipe is invalid; raised before any data is read or model is built.

    Attributes:
        problems: one ``"key: what is wrong; how to fix it"`` line per problem.
    """

    def __init__(self, source: str, problems: Sequence[str]) -> None:
        self.source = source
        self.problems = list(problems)
        count = f"{len(self.problems)} problem{'s' if len(self.problems) != 1 else ''}"
        super().__init__(f"recipe {source} is invalid ({count}):\n" + "\n".join(f"  - {p}" for p in problems))


class ExistingPath(str):
    """Schema type of a recipe value naming a local file or folder that must exist (relative to the working
    directory). Use it in an adapter's ``Options``: ``path: ExistingPath | None = None``."""


@dataclass
class TrainOptions:
    """The recipe's ``train:`` section.

    Attributes:
        batch_size: examples per process per forward pass (a micro-batch). Contrastive negatives come from
            the micro-batch of every process (``batch_size * processes``); gradient accumulation does NOT
            add negatives — use GradCache (``mmcl.gradcache``) for larger contrastive batches.
        max_steps: optimizer steps to train; or set ``epochs`` (map-style datasets only).
        epochs: passes over the training data.
        gradient_accumulation_steps: micro-batches per optimizer step.
        max_grad_norm: clip the gradient norm to this value (no clipping when null).
        mixed_precision: ``no``, ``fp16`` or ``bf16``; null takes the Accelerate config's setting.
        sync_batchnorm: convert BatchNorm layers to SyncBatchNorm when running on several GPUs.
        seed: seeds model initialisation, data order and augmentations (per process).
        num_workers: DataLoader worker processes.
        shuffle_buffer_size: shuffle buffer of a streaming dataset (0 keeps the stream's order).
        log_every_n_steps: optimizer steps between two rows of ``metrics.jsonl``.
        progress_bar: show a progress bar on the main process.
    """

    batch_size: int
    max_steps: int | None = None
    epochs: int | None = None
    gradient_accumulation_steps: int = 1
    max_grad_norm: float | None = None
    mixed_precision: Literal["no", "fp16", "bf16"] | None = None
    sync_batchnorm: bool = False
    seed: int = 0
    num_workers: int = 0
    shuffle_buffer_size: int = 10_000
    log_every_n_steps: int = 10
    progress_bar: bool = True

    def __post_init__(self) -> None:
        if (self.max_steps is None) == (self.epochs is None):
            raise ValueError("set exactly one of train.max_steps and train.epochs")
        for key in ("batch_size", "max_steps", "epochs", "gradient_accumulation_steps", "log_every_n_steps"):
            value = getattr(self, key)
            if value is not None and value < 1:
                raise ValueError(f"train.{key} must be >= 1, got {value}")
        if self.max_grad_norm is not None and self.max_grad_norm <= 0:
            raise ValueError(
                f"train.max_grad_norm must be > 0 (or null for no clipping), got {self.max_grad_norm}"
            )
        if self.num_workers < 0 or self.shuffle_buffer_size < 0:
            raise ValueError("train.num_workers and train.shuffle_buffer_size must be >= 0")


@dataclass
class CheckpointOptions:
    """The recipe's ``checkpoint:`` section: a checkpoint every ``every_n_steps`` optimizer steps (and at the
    end of training), keeping the ``keep_last`` newest. Null ``every_n_steps``: only the final one."""

    every_n_steps: int | None = 1000
    keep_last: int = 2

    def __post_init__(self) -> None:
        if self.every_n_steps is not None and self.every_n_steps < 1:
            raise ValueError(f"checkpoint.every_n_steps must be >= 1 or null, got {self.every_n_steps}")
        if self.keep_last < 1:
            raise ValueError(f"checkpoint.keep_last must be >= 1, got {self.keep_last}")


@dataclass
class EvaluationOptions:
    """The recipe's ``evaluation:`` section: run the adapter's evaluation every ``every_n_steps`` optimizer
    steps (never when null) and, when ``at_end``, after the last step."""

    every_n_steps: int | None = None
    at_end: bool = True

    def __post_init__(self) -> None:
        if self.every_n_steps is not None and self.every_n_steps < 1:
            raise ValueError(f"evaluation.every_n_steps must be >= 1 or null, got {self.every_n_steps}")


@dataclass
class OutputOptions:
    """The recipe's ``output:`` section.

    Attributes:
        dir: run folder (``metrics.jsonl``, ``checkpoints/``, ``model/``); ``runs/<name>`` when null.
        trackers: Accelerate trackers (``tensorboard``, ``wandb``, ...); ``auto`` uses TensorBoard when it is
            installed; an empty list uses none. ``metrics.jsonl`` is always written.
    """

    dir: str | None = None
    trackers: Literal["auto"] | list[str] = "auto"


@dataclass
class AdapterSpec:
    """The recipe's ``adapter:`` section: a registered adapter's name and its validated ``Options``."""

    name: str
    options: Any

    def build(self) -> Adapter:
        """Instantiate the adapter (which may check its options further and raise ``RecipeError``)."""
        return get_adapter(self.name)(self.options)


@dataclass
class MethodSpec:
    """The recipe's ``method:`` section: a registered method's name and its hyperparameters."""

    name: str
    hyperparameters: dict[str, Any] = field(default_factory=dict)


@dataclass
class Recipe:
    """A validated recipe. ``source`` is where it was read from (a path, or ``bundled:<name>``)."""

    name: str
    adapter: AdapterSpec
    method: MethodSpec
    train: TrainOptions
    optimizer: OptimizerOptions
    schedule: ScheduleOptions = field(default_factory=ScheduleOptions)
    checkpoint: CheckpointOptions = field(default_factory=CheckpointOptions)
    evaluation: EvaluationOptions = field(default_factory=EvaluationOptions)
    output: OutputOptions = field(default_factory=OutputOptions)
    description: str = ""
    imports: list[str] = field(default_factory=list)
    source: str = ""

    @property
    def output_dir(self) -> Path:
        """The run folder: ``output.dir``, or ``runs/<name>``."""
        return Path(self.output.dir) if self.output.dir else Path("runs") / self.name

    def to_dict(self) -> dict[str, Any]:
        """The resolved recipe (defaults filled in) as plain YAML-able data; ``load_recipe`` reads it back."""
        resolved = {
            "name": self.name,
            "description": self.description,
            "imports": list(self.imports),
            "adapter": {"name": self.adapter.name, **_plain(self.adapter.options)},
            "method": {"name": self.method.name, **_plain(self.method.hyperparameters)},
        }
        for section in ("train", "optimizer", "schedule", "checkpoint", "evaluation", "output"):
            resolved[section] = _plain(getattr(self, section))
        return resolved

    def to_yaml(self) -> str:
        """``to_dict`` as YAML text (what checkpoints and model folders store)."""
        return yaml.safe_dump(self.to_dict(), sort_keys=False)


_TOP_LEVEL_KEYS = [f.name for f in dataclasses.fields(Recipe) if f.name != "source"]
_OPTIMIZERS: dict[str, type] = {"adamw": AdamWOptions, "sgd": SGDOptions, "lars": LARSOptions}


def load_recipe(
    source: str | Path, overrides: Sequence[str] = (), *, output_dir: str | Path | None = None
) -> Recipe:
    """Read, override and validate a recipe.

    Args:
        source: a YAML file, or the name of a bundled recipe (see ``bundled_recipes``).
        overrides: ``"dotted.key=value"`` strings; values are parsed as YAML (``8``, ``1.0e-3``, ``[0.9, 0.99]``).
        output_dir: replaces ``output.dir``.

    Returns:
        The validated ``Recipe``.

    Raises:
        RecipeError: listing every problem (unknown / missing keys, wrong types, missing paths, bad imports).
    """
    path, text = _read_source(source)
    where = str(path) if path is not None else f"bundled:{source}"
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise RecipeError(where, [f"not valid YAML: {error}"]) from None
    if not isinstance(data, dict):
        raise RecipeError(where, [f"the top level must be a mapping of sections, got {type(data).__name__}"])
    data = apply_overrides(data, overrides, where)
    if output_dir is not None:
        data.setdefault("output", {})
        if isinstance(data["output"], dict):
            data["output"]["dir"] = str(output_dir)
    default_name = path.stem if path is not None else str(source)
    return _validate_recipe(
        data, where, base_dir=path.parent if path is not None else None, default_name=default_name
    )


def apply_overrides(data: dict[str, Any], overrides: Sequence[str], source: str = "recipe") -> dict[str, Any]:
    """A copy of ``data`` with ``"a.b.c=value"`` overrides applied (intermediate mappings are created).

    Example:
        >>> apply_overrides({"train": {"batch_size": 32}}, ["train.batch_size=8", "optimizer.lr=0.1"])
        {'train': {'batch_size': 8}, 'optimizer': {'lr': 0.1}}
    """
    result = _deep_copy(data)
    problems = []
    for override in overrides:
        key, separator, raw_value = override.partition("=")
        if not separator or not key or any(not part for part in key.split(".")):
            problems.append(
                f"--set {override!r}: expected KEY=VALUE with a dotted key, e.g. --set train.max_steps=100"
            )
            continue
        try:
            value = yaml.safe_load(raw_value)
        except yaml.YAMLError:
            value = raw_value
        *parents, leaf = key.split(".")
        node = result
        for depth, part in enumerate(parents):
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                problems.append(f"--set {override!r}: {'.'.join(parents[: depth + 1])} is not a mapping")
                break
            node = child
        else:
            node[leaf] = value
    if problems:
        raise RecipeError(source, problems)
    return result


def bundled_recipes() -> dict[str, str]:
    """Bundled recipes (YAML files shipped in ``mmcl.recipes``) by name, with their one-line description."""
    recipes = {}
    for entry in sorted(importlib.resources.files(BUNDLED_RECIPES_PACKAGE).iterdir(), key=lambda e: e.name):
        if entry.is_file() and entry.name.endswith((".yaml", ".yml")):
            data = yaml.safe_load(entry.read_text(encoding="utf-8"))
            description = data.get("description", "") if isinstance(data, dict) else ""
            recipes[entry.name.rsplit(".", 1)[0]] = (
                str(description).strip().splitlines()[0] if description else ""
            )
    return recipes


def bundled_accelerate_configs() -> dict[str, str]:
    """Accelerate launch configs shipped in ``mmcl.recipes/accelerate`` (cpu, single_gpu, multi_gpu, fsdp) by
    name, with their path for ``accelerate launch --config_file``."""
    folder = importlib.resources.files(BUNDLED_RECIPES_PACKAGE) / "accelerate"
    if not folder.is_dir():
        return {}
    configs = (entry for entry in folder.iterdir() if entry.is_file() and entry.name.endswith(".yaml"))
    return {entry.name.removesuffix(".yaml"): str(entry) for entry in sorted(configs, key=lambda e: e.name)}


def _read_source(source: str | Path) -> tuple[Path | None, str]:
    path = Path(source)
    if path.is_file():
        return path, path.read_text(encoding="utf-8")
    name = path.name.removesuffix(".yaml").removesuffix(".yml")
    if str(source) == name or str(source) in (f"{name}.yaml", f"{name}.yml"):
        for suffix in (".yaml", ".yml"):
            entry = importlib.resources.files(BUNDLED_RECIPES_PACKAGE) / f"{name}{suffix}"
            if entry.is_file():
                return None, entry.read_text(encoding="utf-8")
    bundled = list(bundled_recipes())
    close = difflib.get_close_matches(name, bundled, n=1)
    hint = f"; did you mean the bundled recipe {close[0]!r}?" if close else ""
    listing = f" Bundled recipes: {', '.join(bundled)}." if bundled else ""
    raise RecipeError(
        str(source), [f"no such file ({path.resolve()}) and no bundled recipe named {name!r}{hint}{listing}"]
    )


def _validate_recipe(
    data: dict[str, Any], source: str, *, base_dir: Path | None, default_name: str
) -> Recipe:
    problems: list[str] = []
    _check_keys(data, _TOP_LEVEL_KEYS, "", problems)
    for key in ("adapter", "method", "train", "optimizer"):
        if key not in data:
            problems.append(f"{key}: required section is missing")
    imports = _convert(data.get("imports", []), list[str], "imports", problems)
    if imports is not _INVALID:
        imports = [
            _import_plugin(item, f"imports[{i}]", base_dir, problems) for i, item in enumerate(imports)
        ]
    values: dict[str, Any] = {
        "name": _convert(data.get("name", default_name), str, "name", problems),
        "description": _convert(data.get("description", "") or "", str, "description", problems),
        "imports": imports,
        "source": source,
    }
    if "adapter" in data:
        values["adapter"] = _adapter_spec(data["adapter"], problems)
    if "method" in data:
        values["method"] = _method_spec(data["method"], problems)
    if "optimizer" in data:
        values["optimizer"] = _named_section(data["optimizer"], _OPTIMIZERS, "optimizer", problems)
    sections = {"train": TrainOptions, "schedule": ScheduleOptions, "checkpoint": CheckpointOptions}
    sections |= {"evaluation": EvaluationOptions, "output": OutputOptions}
    for key, cls in sections.items():
        if key in data:
            values[key] = _convert(data[key] if data[key] is not None else {}, cls, key, problems)
    if problems:
        raise RecipeError(source, problems)
    return Recipe(**values)


def _adapter_spec(section: Any, problems: list[str]) -> AdapterSpec | object:
    if not isinstance(section, dict) or not isinstance(section.get("name"), str):
        problems.append(
            "adapter.name: required; name a registered adapter, e.g. `adapter: {name: timeseries}`"
        )
        return _INVALID
    name = section["name"]
    try:
        adapter_class = get_adapter(name)
    except KeyError as error:
        problems.append(f"adapter.name: {error.args[0]}")
        return _INVALID
    except ImportError as error:
        problems.append(
            f"adapter.name: adapter {name!r} could not be imported ({error}); install its extra: pip install 'mmcl[{name}]'"
        )
        return _INVALID
    options = {key: value for key, value in section.items() if key != "name"}
    converted = _convert(options, adapter_class.Options, "adapter", problems, extra_keys=["name"])
    return AdapterSpec(name, converted) if converted is not _INVALID else _INVALID


def _method_spec(section: Any, problems: list[str]) -> MethodSpec | object:
    from mmcl.methods import METHODS  # the methods import the losses; only needed once a recipe names one

    if not isinstance(section, dict) or not isinstance(section.get("name"), str):
        problems.append(f"method.name: required; one of {', '.join(sorted(METHODS))}")
        return _INVALID
    name = section["name"]
    if name not in METHODS:
        problems.append(
            f"method.name: unknown method {name!r}{_closest(name, list(METHODS))}; one of {', '.join(sorted(METHODS))}"
        )
        return _INVALID
    hyperparameters = {key: value for key, value in section.items() if key != "name"}
    parameters = inspect.signature(METHODS[name].__init__).parameters
    try:
        hints = typing.get_type_hints(METHODS[name].__init__)
    except (NameError, TypeError):  # annotations that cannot be resolved are not checked
        hints = {}
    accepts_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())
    valid = [
        key
        for key, p in parameters.items()
        if key not in ("self", *ENGINE_SET_METHOD_ARGUMENTS) and p.kind is not inspect.Parameter.VAR_KEYWORD
    ]
    converted = {}
    for key, value in hyperparameters.items():
        if key in ENGINE_SET_METHOD_ARGUMENTS:
            problems.append(
                f"method.{key}: set by the engine (total_steps from train.max_steps / train.epochs, the encoder and feature_dim from the adapter); remove it"
            )
        elif key in valid:
            converted[key] = _convert(value, hints.get(key, Any), f"method.{key}", problems)
        elif not accepts_any:
            problems.append(
                f"method.{key}: unknown key{_closest(key, valid)}; {name} takes: {', '.join(valid)}"
            )
    return MethodSpec(name, converted)


def _named_section(section: Any, choices: dict[str, type], key: str, problems: list[str]) -> Any:
    if not isinstance(section, dict) or "name" not in section:
        problems.append(f"{key}.name: required; one of {', '.join(choices)}")
        return _INVALID
    name = section["name"]
    if name not in choices:
        problems.append(
            f"{key}.name: expected one of {', '.join(choices)}, got {name!r}{_closest(str(name), list(choices))}"
        )
        return _INVALID
    return _convert(section, choices[name], key, problems)


_INVALID = object()
"""Returned by ``_convert`` for a value that did not validate (its problem is already recorded)."""


def _convert(value: Any, expected: Any, key: str, problems: list[str], extra_keys: Sequence[str] = ()) -> Any:
    """``value`` checked against the type ``expected`` (and converted: int -> float, list -> tuple,
    mapping -> dataclass); on failure, a problem is appended and ``_INVALID`` returned."""
    origin, arguments = typing.get_origin(expected), typing.get_args(expected)
    if expected is Any:
        return value
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in arguments:
            return None
        for alternative in (a for a in arguments if a is not type(None)):
            attempt: list[str] = []
            converted = _convert(value, alternative, key, attempt)
            if not attempt:
                return converted
        if len(arguments) == 2 and type(None) in arguments:
            _convert(value, next(a for a in arguments if a is not type(None)), key, problems)
        else:
            problems.append(f"{key}: expected {_describe(expected)}, got {_show(value)}")
        return _INVALID
    if origin is Literal:
        if value in arguments:
            return value
        problems.append(
            f"{key}: expected {_describe(expected)}, got {_show(value)}{_closest(str(value), [str(a) for a in arguments])}"
        )
        return _INVALID
    if dataclasses.is_dataclass(expected):
        return _convert_dataclass(value, expected, key, problems, extra_keys)
    if origin in (list, tuple):
        return _convert_sequence(value, expected, key, problems)
    if origin is dict:
        if not isinstance(value, dict):
            problems.append(f"{key}: expected a mapping, got {_show(value)}")
            return _INVALID
        return {
            k: _convert(v, arguments[1] if arguments else Any, f"{key}.{k}", problems)
            for k, v in value.items()
        }
    return _convert_scalar(value, expected, key, problems)


def _convert_scalar(value: Any, expected: Any, key: str, problems: list[str]) -> Any:
    if expected is ExistingPath:
        if not isinstance(value, str):
            problems.append(f"{key}: expected a path (string), got {_show(value)}")
            return _INVALID
        if not Path(value).expanduser().exists():
            problems.append(
                f"{key}: {value!r} does not exist (looked for {Path(value).expanduser().resolve()}); "
                f"fix the path in the recipe or pass --set {key}=PATH"
            )
            return _INVALID
        return ExistingPath(value)
    if expected is float:
        if isinstance(value, str):  # YAML 1.1 reads `1e-3` (no dot) as a string
            try:
                return float(value)
            except ValueError:
                pass
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    elif expected is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif not isinstance(expected, type) or isinstance(value, expected):
        return value  # the expected type, or an annotation this checker cannot check (kept as given)
    problems.append(f"{key}: expected {_describe(expected)}, got {_show(value)}")
    return _INVALID


def _convert_sequence(value: Any, expected: Any, key: str, problems: list[str]) -> Any:
    origin, arguments = typing.get_origin(expected), typing.get_args(expected)
    if not isinstance(value, (list, tuple)):
        problems.append(f"{key}: expected {_describe(expected)}, got {_show(value)}")
        return _INVALID
    if origin is tuple and arguments and arguments[-1] is not Ellipsis:
        if len(value) != len(arguments):
            problems.append(f"{key}: expected {_describe(expected)}, got {len(value)} items")
            return _INVALID
        item_types = list(arguments)
    else:
        item_types = [arguments[0] if arguments else Any] * len(value)
    items = [
        _convert(v, t, f"{key}[{i}]", problems)
        for i, (v, t) in enumerate(zip(value, item_types, strict=True))
    ]
    return tuple(items) if origin is tuple else items


def _convert_dataclass(
    value: Any, cls: type, key: str, problems: list[str], extra_keys: Sequence[str]
) -> Any:
    if not isinstance(value, dict):
        problems.append(f"{key}: expected a mapping of {cls.__name__} keys, got {_show(value)}")
        return _INVALID
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    hints = typing.get_type_hints(cls)
    _check_keys({k: v for k, v in value.items() if k not in extra_keys}, list(fields), key, problems)
    before = len(problems)
    kwargs = {}
    for name, spec in fields.items():
        dotted = f"{key}.{name}" if key else name
        if name in value:
            kwargs[name] = _convert(value[name], hints[name], dotted, problems)
        elif spec.default is dataclasses.MISSING and spec.default_factory is dataclasses.MISSING:
            problems.append(f"{dotted}: required key is missing (expected {_describe(hints[name])})")
    if len(problems) > before:
        return _INVALID
    try:
        return cls(**kwargs)
    except (ValueError, TypeError) as error:
        problems.append(f"{key}: {error}")
        return _INVALID


def _check_keys(value: dict[str, Any], valid: list[str], key: str, problems: list[str]) -> None:
    for unknown in (k for k in value if k not in valid):
        dotted = f"{key}.{unknown}" if key else str(unknown)
        problems.append(
            f"{dotted}: unknown key{_closest(str(unknown), valid)}; valid keys here: {', '.join(valid)}"
        )


def _import_plugin(item: str, key: str, base_dir: Path | None, problems: list[str]) -> str:
    """Import a module name or a ``.py`` file (relative to the recipe); returns the resolved form."""
    try:
        if not item.endswith(".py"):
            importlib.import_module(item)
            return item
        path = (
            base_dir / item if base_dir is not None and not Path(item).is_absolute() else Path(item)
        ).resolve()
        if not path.is_file():
            problems.append(
                f"{key}: file {path} does not exist; list a module name or a .py file relative to the recipe"
            )
            return item
        if not any(
            getattr(m, "__file__", None) and Path(m.__file__).resolve() == path
            for m in list(sys.modules.values())
        ):
            module_name = f"mmcl_recipe_import_{path.stem}"
            spec = importlib.util.spec_from_file_location(module_name, path)
            module = importlib.util.module_from_spec(spec)
            sys.modules[module_name] = module
            spec.loader.exec_module(module)
        return str(path)
    except ImportError as error:
        problems.append(f"{key}: cannot import {item!r} ({error}); install it or fix the name")
        return item


def _closest(word: str, candidates: list[str]) -> str:
    close = difflib.get_close_matches(word, candidates, n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def _describe(expected: Any) -> str:
    origin, arguments = typing.get_origin(expected), typing.get_args(expected)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_describe(a) for a in arguments)
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in arguments)
    if origin in (list, tuple):
        if origin is tuple and arguments and arguments[-1] is not Ellipsis:
            return f"a list of {len(arguments)} ({', '.join(_describe(a) for a in arguments)})"
        return f"a list of {_describe(arguments[0]) if arguments else 'values'}"
    if expected is type(None):
        return "null"
    if expected is ExistingPath:
        return "an existing path"
    return getattr(expected, "__name__", str(expected))


def _show(value: Any) -> str:
    return f"{value!r} ({'null' if value is None else type(value).__name__})"


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, str):
        return str(value)
    return value


def _deep_copy(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: _deep_copy(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_deep_copy(v) for v in data]
    return data
