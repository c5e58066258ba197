"""The training loop: a validated recipe in, a model folder out.

``train(recipe)`` runs on whatever Accelerate is configured for — one CPU process, one GPU, several GPUs or
nodes (DDP, or FSDP through the Accelerate config), with mixed precision from the recipe or the config. It
reads top to bottom:

1. everything that can be wrong with the recipe or the data fails first, before any model is built;
2. the encoder, method, optimizer and schedule are built identically on every process;
3. with ``resume=True`` the newest complete checkpoint restores model (EMA target and queue included),
   optimizer, scheduler, random states and data position;
4. each optimizer step runs ``gradient_accumulation_steps`` micro-batches: views are made on the device, the
   method returns its loss, gradients are accumulated, clipped and applied, then the method's
   ``on_step_end`` updates its EMA target and momentum queue — once per optimizer step;
5. metrics, evaluation and checkpoints happen every N steps; at the end the final evaluation's table is
   printed and the model folder is written: the encoder in the adapter's format, the resolved recipe,
   ``metrics.json`` (each metric beside its baseline), the training curves and the adapter's plots, and the
   model card.

Gradient accumulation averages gradients over micro-batches; it does NOT enlarge the contrastive batch: each
micro-batch's loss only sees that micro-batch's (and the other processes', when gathered) negatives. For a
larger contrastive batch than memory allows, use GradCache (``mmcl.gradcache``).

Example:
    >>> from mmcl.recipe import load_recipe
    >>> from mmcl.train import train
    >>> model_folder = train(load_recipe("recipe.yaml", ["train.max_steps=100"]))  # doctest: +SKIP
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

import torch
import yaml
from accelerate import Accelerator, DistributedType
from accelerate.utils import is_tensorboard_available, send_to_device, set_seed
from torch.distributed.checkpoint.state_dict import StateDictOptions, get_model_state_dict
from torch.distributed.fsdp import FullyShardedDataParallel

from mmcl.adapter import Adapter
from mmcl.atomic_folder import atomic_folder
from mmcl.checkpoint import find_latest_checkpoint, load_checkpoint, save_checkpoint
from mmcl.evaluation.report import METRICS_JSON, EvaluationReport
from mmcl.methods import build_method
from mmcl.metrics_log import METRICS_FILE, MetricsLog
from mmcl.model_card import write_model_card
from mmcl.optim import build_optimizer, build_scheduler
from mmcl.plots import plot_training_curves
from mmcl.recipe import Recipe, RecipeError, TrainOptions
from mmcl.training_data import TrainingBatches

MODEL_FOLDER = "model"
CHECKPOINTS_FOLDER = "checkpoints"
PLOTS_FOLDER = "plots"
RECIPE_FILE = "training_recipe.yaml"
TRAINING_CURVES_PNG = "training_curves.png"


def train(recipe: Recipe, *, resume: bool = False) -> Path:
    """Train ``recipe``'s method on its adapter's data and write the encoder in the adapter's format.

    Args:
        recipe: a recipe from ``mmcl.recipe.load_recipe``.
        resume: continue from the newest complete checkpoint in ``<output dir>/checkpoints`` (a fresh start
            when there is none).

    Returns:
        The model folder, ``<output dir>/model``.

    Raises:
        RecipeError: before any model is built, when the recipe does not fit the data or the hardware.
    """
    output_dir = recipe.output_dir
    checkpoints_dir = output_dir / CHECKPOINTS_FOLDER
    accelerator = Accelerator(
        # Without a GPU (or other accelerator), torchrun-launched processes must still form a gloo group.
        cpu=not torch.accelerator.is_available(),
        mixed_precision=recipe.train.mixed_precision,
        log_with=_trackers(recipe.output.trackers),
        project_dir=output_dir,
    )
    latest_checkpoint = find_latest_checkpoint(checkpoints_dir)
    if latest_checkpoint is not None and not resume:
        raise RecipeError(
            recipe.source,
            [f"output.dir: {output_dir} already holds checkpoints of an earlier run; pass --resume to "
             "continue it, or choose a new folder with --output-dir"],
        )  # fmt: skip

    if resume and latest_checkpoint is not None and (changes := _changes_since(latest_checkpoint, recipe)):
        accelerator.print(
            f"warning: the recipe differs from {latest_checkpoint.name}'s in {', '.join(changes)}; the resumed "
            "run will not match an uninterrupted one"
        )

    # 1. The data, and every check that needs it, before any model is built.
    adapter = recipe.adapter.build()
    dataset = adapter.load_dataset("train")
    try:
        batches = TrainingBatches(
            dataset,
            batch_size=recipe.train.batch_size,
            collate=adapter.collate,
            seed=recipe.train.seed,
            rank=accelerator.process_index,
            world_size=accelerator.num_processes,
            num_workers=recipe.train.num_workers,
            shuffle_buffer_size=recipe.train.shuffle_buffer_size,
            batch_sampler=adapter.batch_sampler(
                dataset,
                batch_size=recipe.train.batch_size * accelerator.num_processes,
                seed=recipe.train.seed,
            ),
        )
    except ValueError as error:
        raise RecipeError(recipe.source, [f"train.batch_size: {error}"]) from None
    total_steps = _total_steps(recipe, batches)
    if recipe.train.sync_batchnorm and accelerator.num_processes > 1 and accelerator.device.type == "cpu":
        raise RecipeError(
            recipe.source,
            ["train.sync_batchnorm: SyncBatchNorm needs GPUs; set train.sync_batchnorm=false on CPU"],
        )

    # 2. Model, optimizer and schedule: the same seed on every process gives the same initial weights.
    set_seed(recipe.train.seed)
    encoder, feature_dim = adapter.build_encoder()
    method = build_method(recipe.method.name, encoder, feature_dim, **recipe.method.hyperparameters)
    method.set_total_steps(total_steps)
    if recipe.train.sync_batchnorm and accelerator.num_processes > 1:
        method = torch.nn.SyncBatchNorm.convert_sync_batchnorm(method)
    optimizer = build_optimizer(method, recipe.optimizer)
    # The scheduler is stepped once per optimizer step by this loop, so it is not handed to `prepare`
    # (which would step it once per process).
    scheduler = build_scheduler(optimizer, recipe.schedule, total_steps)
    model, optimizer = accelerator.prepare(method, optimizer)
    method = accelerator.unwrap_model(model)

    # 3. Resume: weights, EMA target, queue, optimizer, schedule, random states, data position.
    set_seed(recipe.train.seed, device_specific=True)  # different augmentations on each process
    step, samples_seen = 0, 0
    if resume and latest_checkpoint is not None:
        resumed = load_checkpoint(
            latest_checkpoint, accelerator=accelerator, model=model, optimizer=optimizer, scheduler=scheduler
        )
        step, samples_seen = resumed.step, resumed.samples_seen
        batches.seek(resumed.data_position)
        accelerator.print(f"resumed from {latest_checkpoint} at step {step}")
    elif resume:
        accelerator.print(f"no checkpoint in {checkpoints_dir}; starting from step 0")

    # 4. The loop.
    accelerator.init_trackers(recipe.name, config=_flat_config(recipe.to_dict()))
    log = MetricsLog(
        accelerator,
        output_dir,
        total_steps=total_steps,
        start_step=step,
        progress_bar=recipe.train.progress_bar,
    )
    accumulation = recipe.train.gradient_accumulation_steps
    samples_per_step = recipe.train.batch_size * accelerator.num_processes * accumulation
    window = _MetricsWindow()
    final_report: EvaluationReport | None = None
    micro_batches = iter(batches)
    model.train()
    while step < total_steps:
        for micro_step in range(accumulation):
            batch = send_to_device(next(micro_batches), accelerator.device)
            view_a, view_b = adapter.make_views(batch)
            is_last_micro_step = micro_step == accumulation - 1
            # Gradients are all-reduced across processes only on the last micro-batch of the step.
            with nullcontext() if is_last_micro_step else accelerator.no_sync(model):
                loss, logs = model(view_a, view_b)
                accelerator.backward(loss / accumulation)
            window.add({"loss": loss.detach(), **logs})
        if recipe.train.max_grad_norm is not None:
            accelerator.clip_grad_norm_(model.parameters(), recipe.train.max_grad_norm)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        method.on_step_end(step)  # EMA target and momentum queue, once per optimizer step (0-based)
        step += 1
        samples_seen += samples_per_step
        window.timed_steps += 1

        if step % recipe.train.log_every_n_steps == 0 or step == total_steps:
            values = window.summary(accelerator, samples_per_step)
            values |= {
                "lr": scheduler.get_last_lr()[0],
                "epoch": batches.position.epoch,
                "samples": samples_seen,
            }
            log.log(step, values)
            log.advance(step, {k: values[k] for k in ("loss", "lr", "samples_per_second")})
            window = _MetricsWindow()
        else:
            log.advance(step)
        is_last_step = step == total_steps
        every_eval = recipe.evaluation.every_n_steps
        if (every_eval and step % every_eval == 0) or (is_last_step and recipe.evaluation.at_end):
            _broadcast_buffers(method, accelerator)
            plots_dir = output_dir / PLOTS_FOLDER if is_last_step else None
            result = _evaluate(adapter, model, method.encoder, accelerator, plots_dir)
            if metrics := _logged_metrics(result):
                log.log(step, metrics)
            if is_last_step and isinstance(result, EvaluationReport):
                final_report = result
            window.restart_clock()
        every_checkpoint = recipe.checkpoint.every_n_steps
        if (every_checkpoint and step % every_checkpoint == 0) or is_last_step:
            save_checkpoint(
                checkpoints_dir,
                step,
                accelerator=accelerator,
                model=model,
                optimizer=optimizer,
                scheduler=scheduler,
                data_position=batches.position,
                samples_seen=samples_seen,
                recipe_yaml=recipe.to_yaml(),
                keep_last=recipe.checkpoint.keep_last,
            )
            window.restart_clock()
    log.close()
    if final_report is not None:
        accelerator.print(final_report.format_table())

    # 5. The model folder, in the adapter's format.
    model_folder = output_dir / MODEL_FOLDER
    _broadcast_buffers(method, accelerator)
    _save_model_folder(adapter, model, method, accelerator, recipe, model_folder, final_report)
    accelerator.print(f"model written to {model_folder}")
    # Free the DDP wrapper (its reducer threads) before the process group ends, or gloo may abort at exit.
    del model, optimizer
    accelerator.free_memory()
    accelerator.end_training()  # ends the trackers and the process group: nothing collective after this
    return model_folder


def _total_steps(recipe: Recipe, batches: TrainingBatches) -> int:
    options: TrainOptions = recipe.train
    if options.max_steps is not None:
        total = options.max_steps
    elif batches.batches_per_epoch is None:
        raise RecipeError(
            recipe.source, ["train.epochs: a streaming dataset has no length; set train.max_steps instead"]
        )
    else:
        total = options.epochs * batches.batches_per_epoch // options.gradient_accumulation_steps
        if total == 0:
            raise RecipeError(
                recipe.source,
                [f"train.epochs: {options.epochs} epoch(s) of {batches.batches_per_epoch} batches make no "
                 f"optimizer step with gradient_accumulation_steps={options.gradient_accumulation_steps}; "
                 "train for more epochs or accumulate fewer batches"],
            )  # fmt: skip
    if recipe.schedule.warmup_steps > total:
        raise RecipeError(
            recipe.source,
            [f"schedule.warmup_steps: {recipe.schedule.warmup_steps} is longer than the run ({total} "
             "optimizer steps); lower it or train longer"],
        )  # fmt: skip
    return total


class _MetricsWindow:
    """Sums of the method's logs since the last logged step, and the steps timed since the clock started."""

    def __init__(self) -> None:
        self.sums: dict[str, torch.Tensor] = {}
        self.micro_batches = 0
        self.restart_clock()

    def restart_clock(self) -> None:
        """Exclude what just happened (evaluation, checkpoint) from the throughput."""
        self.start, self.timed_steps = time.perf_counter(), 0

    def add(self, logs: dict[str, torch.Tensor]) -> None:
        for key, value in logs.items():
            self.sums[key] = self.sums.get(key, 0) + value.detach().float()
        self.micro_batches += 1

    def summary(self, accelerator: Accelerator, samples_per_step: int) -> dict[str, float]:
        """Means over the window's micro-batches and over processes, and the window's samples per second."""
        keys = sorted(self.sums)
        sums = torch.stack([self.sums[k] for k in keys])
        means = accelerator.reduce(sums / self.micro_batches, reduction="mean")
        elapsed = max(time.perf_counter() - self.start, 1e-9)
        values = dict(zip(keys, means.tolist(), strict=True))
        return values | {"samples_per_second": self.timed_steps * samples_per_step / elapsed}


def _broadcast_buffers(method: torch.nn.Module, accelerator: Accelerator) -> None:
    """Give every process the main process's buffers (BatchNorm statistics, EMA target buffers).

    DDP copies them from the main process at the start of each forward pass, so after the last one each
    process holds its own; evaluations and the saved model must not depend on which process ran them.
    """
    if accelerator.num_processes > 1:
        for buffer in method.buffers():
            torch.distributed.broadcast(buffer, src=0)


def _evaluate(
    adapter: Adapter,
    model: torch.nn.Module,
    encoder: torch.nn.Module,
    accelerator: Accelerator,
    plots_dir: Path | None,
) -> EvaluationReport | dict[str, float]:
    """The adapter's evaluation on every process; it does not draw from the training's random streams.
    Plots go to ``plots_dir`` from the main process only."""
    was_training = encoder.training
    encoder.eval()
    cuda_devices = [accelerator.device] if accelerator.device.type == "cuda" else []
    plots_dir = plots_dir if accelerator.is_main_process else None
    if plots_dir is not None:
        plots_dir.mkdir(parents=True, exist_ok=True)
    with torch.no_grad(), torch.random.fork_rng(devices=cuda_devices), _full_parameters(model, accelerator):
        result = adapter.evaluate(encoder, accelerator.device, plots_dir)
    encoder.train(was_training)
    return result


def _logged_metrics(result: EvaluationReport | dict[str, float]) -> dict[str, float]:
    """``eval/<metric>`` for the model and ``eval_baseline/<baseline>/<metric>`` for each of its baselines."""
    if not isinstance(result, EvaluationReport):
        return {f"eval/{name}": float(value) for name, value in result.items()}
    return {f"eval/{name}": row.model for name, row in result.metrics.items()} | {
        f"eval_baseline/{column}/{name}": value
        for name, row in result.metrics.items()
        for column, value in row.baselines.items()
    }


@contextmanager
def _full_parameters(model: torch.nn.Module, accelerator: Accelerator) -> Iterator[None]:
    """Under FSDP, gather the parameters the wrapped root module shards, so the encoder can run outside the
    model's own forward pass (nested sharded modules gather theirs in their forward hooks)."""
    if accelerator.distributed_type != DistributedType.FSDP:
        yield
    elif hasattr(model, "unshard"):  # FSDP2 (`fully_shard`)
        model.unshard()
        try:
            yield
        finally:
            model.reshard()
    else:  # FSDP1
        with FullyShardedDataParallel.summon_full_params(model, writeback=False):
            yield


def _save_model_folder(
    adapter: Adapter,
    model: torch.nn.Module,
    method: torch.nn.Module,
    accelerator: Accelerator,
    recipe: Recipe,
    folder: Path,
    report: EvaluationReport | None,
) -> None:
    """Write the model folder atomically from the main process: the encoder in the adapter's format, the
    resolved recipe, and — from the final evaluation — ``metrics.json``, the plots and the model card.
    A sharded (FSDP) model is gathered first and loaded into a fresh encoder on the main process."""
    encoder = method.encoder
    if accelerator.distributed_type == DistributedType.FSDP:
        options = StateDictOptions(full_state_dict=True, cpu_offload=True)
        full_state = get_model_state_dict(model, options=options)  # collective: every process takes part
        if accelerator.is_main_process:
            encoder, _ = adapter.build_encoder()
            prefix = "encoder."
            encoder.load_state_dict(
                {k[len(prefix) :]: v for k, v in full_state.items() if k.startswith(prefix)}
            )
    if accelerator.is_main_process:
        output_dir = recipe.output_dir
        with atomic_folder(folder) as partial:
            adapter.save_encoder(encoder, partial)
            (partial / RECIPE_FILE).write_text(recipe.to_yaml(), encoding="utf-8")
            loss_curve = plot_training_curves(output_dir / METRICS_FILE, partial / TRAINING_CURVES_PNG)
            for plot in sorted((output_dir / PLOTS_FOLDER).glob("*.png")):
                shutil.copy2(plot, partial / plot.name)
            if report is not None:
                report.write_json(partial / METRICS_JSON)
                report.write_json(output_dir / METRICS_JSON)
            if report is not None and adapter.modality is not None:
                write_model_card(
                    partial,
                    modality=adapter.modality,
                    method=_method_citation_name(recipe),
                    metrics={name: row.model for name, row in report.metrics.items()},
                    baseline_metrics={column: report.baseline_values(column) for column in report.baselines},
                    datasets=adapter.dataset_names(),
                    evaluation_dataset=adapter.evaluation_dataset_name(),
                    recipe=recipe.to_dict(),
                    loss_curve_png=loss_curve,
                    repo_id=str(folder),  # the load snippet works on the local folder until pushed
                )
    accelerator.wait_for_everyone()


def _method_citation_name(recipe: Recipe) -> str:
    """The method's name as the model card knows its citation (MoCo by version)."""
    if recipe.method.name == "moco":
        return f"moco-{recipe.method.hyperparameters.get('version', 'v2')}"
    return recipe.method.name


def _trackers(trackers: str | list[str]) -> list[str] | None:
    if trackers == "auto":
        return ["tensorboard"] if is_tensorboard_available() else None
    return list(trackers) or None


def _changes_since(checkpoint: Path, recipe: Recipe) -> list[str]:
    """Recipe keys whose values differ from those the checkpoint was trained with (bookkeeping keys aside)."""
    saved = _flat_config(yaml.safe_load((checkpoint / "recipe.yaml").read_text(encoding="utf-8")))
    current = _flat_config(recipe.to_dict())
    bookkeeping = ("output.", "checkpoint.", "evaluation.", "train.log_every_n_steps", "train.progress_bar")
    changed = (key for key in saved.keys() | current.keys() if saved.get(key) != current.get(key))
    return sorted(key for key in changed if not key.startswith(bookkeeping))


def _flat_config(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested recipe as ``{"train.batch_size": 32, ...}`` with scalar values (what trackers accept)."""
    flat = {}
    for key, value in data.items():
        if isinstance(value, dict):
            flat |= _flat_config(value, f"{prefix}{key}.")
        else:
            flat[f"{prefix}{key}"] = value if isinstance(value, (int, float, str, bool)) else str(value)
    return flat
