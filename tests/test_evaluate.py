"""`mmcl evaluate` on a model folder written by `mmcl train` reproduces the run's final evaluation."""

import pytest
from accelerate.state import AcceleratorState

from mmcl.cli import main
from mmcl.evaluate import evaluate_model
from mmcl.evaluation import EvaluationReport
from mmcl.recipe import RecipeError, load_recipe
from mmcl.train import train
from tests.fixtures import TINY_BYOL


@pytest.fixture(scope="module")
def model_folder(tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("byol")
    folder = train(
        load_recipe(TINY_BYOL, ["train.max_steps=4", "evaluation.at_end=true"], output_dir=run_dir)
    )
    AcceleratorState._reset_state(reset_partial_state=True)
    return folder


def test_cli_reproduces_the_final_training_evaluation(model_folder, tmp_path, capsys):
    assert main(["evaluate", str(model_folder), "--output-dir", str(tmp_path)]) == 0
    written = EvaluationReport.read_json(tmp_path / "metrics.json")
    during_training = EvaluationReport.read_json(model_folder / "metrics.json")
    assert written.to_dict() == during_training.to_dict()
    assert "knn_accuracy" in capsys.readouterr().out


def test_defaults_to_an_evaluation_folder_inside_the_model(model_folder):
    report = evaluate_model(model_folder)
    assert isinstance(report, EvaluationReport)
    assert (model_folder / "evaluation" / "metrics.json").is_file()


def test_folder_without_recipe_is_refused(tmp_path):
    with pytest.raises(RecipeError, match=r"training_recipe\.yaml not found"):
        evaluate_model(tmp_path)


def test_data_shorthand_needs_the_adapter_option(model_folder):
    with pytest.raises(RecipeError, match=r"adapter\.evaluation_data: unknown key"):
        evaluate_model(model_folder, data="somewhere.csv")
