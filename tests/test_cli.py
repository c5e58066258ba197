"""The ``mmcl`` command: help everywhere, bundled recipes, recipe errors reported before any model is built."""

import subprocess
import sys

import pytest
import yaml

from mmcl.cli import COMMANDS, main
from tests.fixtures import TINY_MOCO
from tests.fixtures.runs import REPO, check, run_mmcl
from tests.fixtures.vectors_adapter import VectorsAdapter
from tests.test_recipe import bundled  # noqa: F401  (fixture)


@pytest.mark.parametrize("arguments", [["--help"], ["train", "--help"], ["recipes", "--help"]])
def test_help_everywhere(arguments, capsys):
    with pytest.raises(SystemExit) as exited:
        main(arguments)
    assert exited.value.code == 0
    assert capsys.readouterr().out.startswith("usage: mmcl")


def test_every_command_is_listed_in_the_top_level_help(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert all(command.name in out for command in COMMANDS)


def test_python_dash_m_mmcl_is_the_same_command():
    completed = check(
        subprocess.run(
            [sys.executable, "-m", "mmcl", "train", "--help"], capture_output=True, text=True, cwd=REPO
        )
    )
    assert "--resume" in completed.stdout and "--set KEY=VALUE" in completed.stdout


def test_recipes_lists_bundled_recipes_one_line_each_and_the_accelerate_configs(bundled, capsys):  # noqa: F811
    assert main(["recipes"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        "other        First line.",
        "tiny-digits  Tiny MoCo v2 on scikit-learn's digits with an MLP (engine tests; CPU, seconds)",
        "",
        "Accelerate configs (accelerate launch --config_file PATH -m mmcl train RECIPE):",
        f"cpu  {bundled / 'accelerate' / 'cpu.yaml'}",
    ]


def _recipe(tmp_path, change):
    data = yaml.safe_load(TINY_MOCO.read_text())
    data["imports"] = [str(TINY_MOCO.with_name("vectors_adapter.py"))]
    change(data)
    path = tmp_path / "recipe.yaml"
    path.write_text(yaml.safe_dump(data))
    return str(path)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda d: d["train"].update(batchsize=8),
            "train.batchsize: unknown key; did you mean 'batch_size'?",
        ),
        (
            lambda d: d["adapter"].update(path="missing/digits.npz"),
            "adapter.path: 'missing/digits.npz' does not exist",
        ),
        (lambda d: d["optimizer"].update(lr=[0.1]), "optimizer.lr: expected float, got [0.1] (list)"),
    ],
)
def test_recipe_errors_exit_2_with_the_message_before_any_model_is_built(tmp_path, capsys, change, expected):
    built = VectorsAdapter.encoders_built
    assert main(["train", _recipe(tmp_path, change), "--output-dir", str(tmp_path / "run")]) == 2
    assert expected in capsys.readouterr().err
    assert VectorsAdapter.encoders_built == built
    assert not (tmp_path / "run").exists()


def test_a_recipe_error_in_a_fresh_process_has_no_traceback(tmp_path):
    completed = run_mmcl("train", str(TINY_MOCO), "--set", "train.max_step=3")
    assert completed.returncode == 2
    assert "train.max_step: unknown key; did you mean 'max_steps'?" in completed.stderr
    assert "Traceback" not in completed.stderr
