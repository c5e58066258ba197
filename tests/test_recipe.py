"""Recipe loading: defaults, ``--set`` overrides, bundled names, and errors that name the key and the fix."""

import sys
import textwrap

import pytest
import yaml

import mmcl.recipe
from mmcl.optim import AdamWOptions, SGDOptions
from mmcl.recipe import RecipeError, apply_overrides, bundled_recipes, load_recipe
from tests.fixtures import TINY_BYOL, TINY_MOCO


def _write(tmp_path, text):
    path = tmp_path / "recipe.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def _with(tmp_path, change):
    """tiny_moco, changed by ``change(data)``, written to ``tmp_path``."""
    data = yaml.safe_load(TINY_MOCO.read_text())
    data["imports"] = [str(TINY_MOCO.with_name("vectors_adapter.py"))]
    change(data)
    path = tmp_path / "changed.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def _problems(path, overrides=()):
    with pytest.raises(RecipeError) as raised:
        load_recipe(path, overrides)
    return raised.value.problems


def test_loads_sections_with_defaults_filled_in():
    recipe = load_recipe(TINY_MOCO)
    assert recipe.name == "tiny_moco"
    assert recipe.adapter.name == "vectors" and recipe.adapter.options.hidden_dim == 64
    assert recipe.adapter.options.noise_std == 0.1  # the adapter's default
    assert recipe.method.name == "moco" and recipe.method.hyperparameters["queue_size"] == 100
    assert recipe.train.batch_size == 32 and recipe.train.gradient_accumulation_steps == 1
    assert recipe.optimizer == SGDOptions(lr=0.05)
    assert recipe.schedule.warmup_steps == 2 and recipe.checkpoint.keep_last == 2
    assert str(recipe.output_dir) == "runs/tiny_moco"


def test_overrides_are_parsed_as_yaml_and_create_missing_sections():
    recipe = load_recipe(
        TINY_MOCO,
        [
            "train.max_steps=3",
            "optimizer.name=adamw",
            "optimizer.betas=[0.8, 0.9]",
            "method.temperature=1e-1",
        ],
        output_dir="elsewhere",
    )
    assert recipe.train.max_steps == 3
    assert recipe.optimizer == AdamWOptions(lr=0.05, betas=(0.8, 0.9))
    assert recipe.method.hyperparameters["temperature"] == 0.1  # YAML 1.1 reads 1e-1 as a string
    assert str(recipe.output_dir) == "elsewhere"
    assert apply_overrides({}, ["a.b.c=1"]) == {"a": {"b": {"c": 1}}}


def test_resolved_recipe_reads_back_to_the_same_recipe(tmp_path):
    recipe = load_recipe(TINY_BYOL, ["train.seed=3"])
    saved = tmp_path / "resolved.yaml"
    saved.write_text(recipe.to_yaml())
    again = load_recipe(saved)
    assert again.to_dict() | {"name": recipe.name} == recipe.to_dict()


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d["train"].update(batchsize=8), "train.batchsize: unknown key; did you mean 'batch_size'?"),
        (lambda d: d.update(optimiser=d.pop("optimizer")), "optimiser: unknown key; did you mean 'optimizer'?"),
        (lambda d: d["adapter"].update(hiden_dim=8), "adapter.hiden_dim: unknown key; did you mean 'hidden_dim'?"),
        (lambda d: d["method"].update(temprature=0.1), "method.temprature: unknown key; did you mean 'temperature'?"),
        (lambda d: d["optimizer"].update(name="adamW"), "optimizer.name: expected one of adamw, sgd, lars, got 'adamW'; did you mean 'adamw'?"),
        (lambda d: d["adapter"].update(name="vector"), "did you mean 'vectors'?"),
        (lambda d: d["train"].pop("batch_size"), "train.batch_size: required key is missing (expected int)"),
        (lambda d: d.pop("optimizer"), "optimizer: required section is missing"),
        (lambda d: d["train"].update(max_steps="ten"), "train.max_steps: expected int, got 'ten' (str)"),
        (lambda d: d["optimizer"].update(lr="fast"), "optimizer.lr: expected float, got 'fast' (str)"),
        (lambda d: d["train"].update(progress_bar="yes please"), "train.progress_bar: expected bool"),
        (lambda d: d["train"].update(mixed_precision="fp8"), "train.mixed_precision: expected one of 'no', 'fp16', 'bf16'"),
        (lambda d: d["train"].update(epochs=2), "train: set exactly one of train.max_steps and train.epochs"),
        (lambda d: d["method"].update(total_steps=5), "method.total_steps: set by the engine"),
        (lambda d: d["optimizer"].update(lr=-1.0), "optimizer: lr must be > 0"),
        (lambda d: d.update(imports=["no_such_module_xyz"]), "imports[0]: cannot import 'no_such_module_xyz'"),
    ],
)  # fmt: skip
def test_invalid_recipes_name_the_key_and_the_fix(tmp_path, change, expected):
    problems = _problems(_with(tmp_path, change))
    assert any(expected in problem for problem in problems), problems


def test_a_missing_data_path_names_the_path_and_how_to_set_it(tmp_path):
    path = _with(tmp_path, lambda d: d["adapter"].update(path="data/digits.npz"))
    (problem,) = _problems(path)
    assert problem.startswith("adapter.path: 'data/digits.npz' does not exist")
    assert "--set adapter.path=PATH" in problem


def test_every_problem_is_reported_at_once(tmp_path):
    def change(d):
        d["train"]["batchsize"] = 8
        d["optimizer"]["lr"] = "fast"

    with pytest.raises(RecipeError) as raised:
        load_recipe(_with(tmp_path, change))
    message = str(raised.value)
    assert "(2 problems)" in message and "train.batchsize" in message and "optimizer.lr" in message


def test_override_problems(tmp_path):
    assert "expected KEY=VALUE" in _problems(TINY_MOCO, ["train.max_steps"])[0]
    assert "train.batch_size is not a mapping" in _problems(TINY_MOCO, ["train.batch_size.x=1"])[0]
    assert (
        "train.max_stesp: unknown key; did you mean 'max_steps'?"
        in _problems(TINY_MOCO, ["train.max_stesp=1"])[0]
    )


def test_unreadable_recipes(tmp_path):
    assert "not valid YAML" in _problems(_write(tmp_path, "train: [unclosed"))[0]
    assert "top level must be a mapping" in _problems(_write(tmp_path, "- a list"))[0]
    assert "no such file" in _problems(tmp_path / "absent.yaml")[0]


@pytest.fixture
def bundled(tmp_path, monkeypatch):
    """A stand-in for the ``mmcl.recipes`` package holding two recipes and an Accelerate config folder."""
    package = tmp_path / "fake_bundled_recipes"
    (package / "accelerate").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "accelerate" / "cpu.yaml").write_text("distributed_type: 'NO'\n")
    text = TINY_MOCO.read_text().replace("[vectors_adapter.py]", "[tests.fixtures.vectors_adapter]")
    (package / "tiny-digits.yaml").write_text(text)
    (package / "other.yaml").write_text("description: |\n  First line.\n  Second line.\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(mmcl.recipe, "BUNDLED_RECIPES_PACKAGE", "fake_bundled_recipes")
    yield package
    sys.modules.pop("fake_bundled_recipes", None)


def test_bundled_recipes_are_listed_and_loaded_by_name(bundled):
    assert bundled_recipes() == {
        "other": "First line.",
        "tiny-digits": "Tiny MoCo v2 on scikit-learn's digits with an MLP (engine tests; CPU, seconds)",
    }
    recipe = load_recipe("tiny-digits")
    assert recipe.name == "tiny-digits" and recipe.source == "bundled:tiny-digits"
    assert "did you mean the bundled recipe 'tiny-digits'?" in _problems("tiny-digit")[0]


def test_the_shipped_bundled_recipes_are_the_yaml_files_of_the_recipes_folder():
    folder = TINY_MOCO.parents[2] / "recipes"
    assert sorted(bundled_recipes()) == sorted(p.stem for p in folder.glob("*.yaml"))
