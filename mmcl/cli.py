"""The ``mmcl`` command (also ``python -m mmcl``; ``accelerate launch -m mmcl ...`` on several processes).

Commands:
    mmcl train RECIPE [--set KEY=VALUE ...] [--output-dir DIR] [--resume]
    mmcl evaluate MODEL_DIR [--data PATH] [--task NAME] [--set KEY=VALUE ...] [--output-dir DIR]
    mmcl push MODEL_DIR REPO_ID [--private] [--revision BRANCH] [--dry-run]
    mmcl recipes

Each command is a ``Command``: a name, a one-line help, a function adding its arguments and one running it.
A new command is one more entry in ``COMMANDS``.

Example:
    >>> from mmcl.cli import main
    >>> main(["train", "recipe.yaml", "--set", "train.max_steps=10"])  # doctest: +SKIP
    0
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from mmcl import __version__
from mmcl.hub import add_push_arguments, run_push

EXIT_USAGE_ERROR = 2


@dataclass(frozen=True)
class Command:
    """A ``mmcl`` subcommand."""

    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


def _add_set_argument(parser: argparse.ArgumentParser, help_text: str) -> None:
    parser.add_argument(
        "--set", dest="overrides", metavar="KEY=VALUE", nargs="+", action="extend", default=[], help=help_text
    )


def _add_train_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "recipe", metavar="RECIPE", help="a recipe YAML file, or a bundled recipe's name (see `mmcl recipes`)"
    )
    _add_set_argument(
        parser,
        "override a recipe value by its dotted key, e.g. --set train.max_steps=100 optimizer.lr=0.01 "
        "(values are read as YAML)",
    )
    parser.add_argument("--output-dir", metavar="DIR", help="run folder (replaces the recipe's output.dir)")
    parser.add_argument(
        "--resume", action="store_true", help="continue from the newest complete checkpoint in the run folder"
    )


def _run_train(arguments: argparse.Namespace) -> int:
    from mmcl.recipe import load_recipe
    from mmcl.train import train

    recipe = load_recipe(arguments.recipe, arguments.overrides, output_dir=arguments.output_dir)
    train(recipe, resume=arguments.resume)
    return 0


def _add_evaluate_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "model", metavar="MODEL_DIR", help="a model folder written by `mmcl train`, or a Hub repo id"
    )
    parser.add_argument(
        "--data", metavar="PATH", help="evaluation data (the adapter's evaluation_data option)"
    )
    parser.add_argument(
        "--task", metavar="NAME", help="one evaluation task (the adapter's evaluation_task option)"
    )
    _add_set_argument(
        parser, "override a value of the folder's training recipe, e.g. --set adapter.batch_size=256"
    )
    parser.add_argument(
        "--output-dir", metavar="DIR", help="where metrics.json and plots go (MODEL_DIR/evaluation)"
    )
    parser.add_argument("--revision", metavar="REV", help="Hub revision, for a repo id")


def _run_evaluate(arguments: argparse.Namespace) -> int:
    from mmcl.evaluate import evaluate_model
    from mmcl.evaluation.report import EvaluationReport

    result = evaluate_model(
        arguments.model,
        arguments.overrides,
        data=arguments.data,
        task=arguments.task,
        output_dir=arguments.output_dir,
        revision=arguments.revision,
    )
    if isinstance(result, EvaluationReport):
        print(result.format_table())
    else:
        for name, value in result.items():
            print(f"{name}  {value:.4f}")
    return 0


def _add_recipes_arguments(parser: argparse.ArgumentParser) -> None:
    """`mmcl recipes` takes no arguments."""


def _run_recipes(arguments: argparse.Namespace) -> int:
    from mmcl.recipe import bundled_accelerate_configs, bundled_recipes

    recipes = bundled_recipes()
    if not recipes:
        print("no bundled recipes are installed")
    width = max((len(name) for name in recipes), default=0)
    for name, description in recipes.items():
        print(f"{name:<{width}}  {description}".rstrip())
    configs = bundled_accelerate_configs()
    if configs:
        print("\nAccelerate configs (accelerate launch --config_file PATH -m mmcl train RECIPE):")
        width = max(len(name) for name in configs)
        for name, path in configs.items():
            print(f"{name:<{width}}  {path}")
    return 0


COMMANDS: list[Command] = [
    Command(
        "train",
        "train a recipe (on CPU, one or several GPUs, as Accelerate is configured)",
        _add_train_arguments,
        _run_train,
    ),
    Command("recipes", "list the bundled recipes, one line each", _add_recipes_arguments, _run_recipes),
    Command(
        "evaluate",
        "evaluate a model folder (or Hub repo) with its adapter's evaluation suite",
        _add_evaluate_arguments,
        _run_evaluate,
    ),
    Command("push", "upload a model folder to the Hugging Face Hub", add_push_arguments, run_push),
]


def build_parser() -> argparse.ArgumentParser:
    """The ``mmcl`` argument parser with one subparser per entry of ``COMMANDS``."""
    parser = argparse.ArgumentParser(
        prog="mmcl",
        description="Contrastive representation learning on Hugging Face: train recipes on any hardware.",
        epilog="Several processes or GPUs: accelerate launch [--config_file CONFIG] -m mmcl train RECIPE",
    )
    parser.add_argument("--version", action="version", version=f"mmcl {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in COMMANDS:
        subparser = subparsers.add_parser(command.name, help=command.help, description=command.help)
        command.add_arguments(subparser)
        subparser.set_defaults(run=command.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``mmcl`` with ``argv`` (default: ``sys.argv[1:]``); returns the exit status.

    Recipe problems and unusable checkpoints are reported on stderr without a traceback (exit status 2).
    """
    arguments = build_parser().parse_args(argv)
    # Imported after parsing, so `--help` answers without loading torch.
    from mmcl.checkpoint import CheckpointMismatchError
    from mmcl.recipe import RecipeError

    try:
        return arguments.run(arguments)
    except (RecipeError, CheckpointMismatchError) as error:
        print(f"mmcl: error: {error}", file=sys.stderr)
        return EXIT_USAGE_ERROR
