"""`neuript finetune`: fine-tune a NeurIPT classifier (IILP head) on a prepared, labelled dataset with `Trainer`, and
report it beside the compact baselines trained on the same windows and split.

    neuript finetune --dataset prepared/face13 --task face_vs_house --split loso:s02 \\
        --model runs/pretrain/model --output_dir runs/face-house
    neuript finetune --dataset my_trials-epo.fif --split given --output_dir runs/mine     # trials straight in

Splits are by subject, by time or given, never random across overlapping windows (`modeling_neuript.data.splits`):
`loso:<subject>`, `within:<subject>` / `within` (time-ordered), `given` (a trial file's own train/test assignment).
Validation windows come from the training windows, by default the last `validation_fraction` of each class in time
(`--validation stratified`), so every class is in it.

The recipe (`RECIPE`, the defaults below; how each value was chosen is in docs/ablation.md): a fixed number of
epochs with a cosine schedule and the final model kept (no early stopping: on the validation sets of small EEG
datasets, a few dozen trials, the "best" epoch is mostly noise), IILP pooling that keeps time (four segments per
window, so an ERP's latency reaches the head) and the hemispheres apart (sagittal lobe groups), no augmentation and
one learning rate for all layers (neither helped in the ablation; both stay available). Every value is an option,
and the run's `metrics.json` keeps the baselines' rows (`--baselines`) next to NeurIPT's.

The result folder holds `model/` (weights, config with label names, feature extractor), `metrics.json` (NeurIPT and
the baselines), `log_history.json` (every logged loss and metric) and `split.json` (the exact window indices: a fixed
split manifest).

Checkpoints (`checkpoint-<step>/`: model, feature extractor, optimizer, scheduler, RNG and trainer state) are written
by `AtomicCheckpointTrainer` into a hidden staging folder, fsynced and renamed into place, so a crash never leaves a
half-written `checkpoint-<step>` for `--resume_from_checkpoint` to pick up. `--resume_from_checkpoint last` resumes
from the newest complete checkpoint in `output_dir`; on CPU the resumed run logs the same losses as an uninterrupted
one (Trainer restores the optimizer, scheduler, RNG states and the position in the epoch's data order).
"""

import json
import logging
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import numpy as np
import torch
from transformers import Trainer, TrainingArguments
from transformers.trainer_utils import PREFIX_CHECKPOINT_DIR, get_last_checkpoint, rotate_checkpoints

from modeling_neuript.data.splits import split_indices, subsample, task_labels
from modeling_neuript.training.factory import build_classifier

logger = logging.getLogger(__name__)
STAGING_PREFIX = ".staging-"  # Trainer only recognises `checkpoint-<step>` (anchored regex), never a staging folder

# The fine-tuning recipe: the defaults of `neuript finetune`, `neuript benchmark` and the demo. Each value was chosen by
# the ablation in docs/ablation.md (one change at a time, seeds, Face13's three tasks × two split kinds).
RECIPE = {
    "num_train_epochs": 20,
    "learning_rate": 2e-3,
    "early_stopping_patience": 0,
    "load_best_model_at_end": False,
    "lobe_grouping": "sagittal",
    "pooling_time_bins": 4,
    "layer_decay": 1.0,
    "time_shift_seconds": 0.0,
    "amplitude_scale": 0.0,
    "channel_dropout": 0.0,
}


@dataclass
class FinetuneArguments:
    dataset: str = field(metadata={"help": (
        "A `neuript prepare` folder (events mode) or a trial file (-epo.fif, .npz; see data/trials.py).")})
    model: str = field(default="neuript-tiny-patch4", metadata={"help": "Checkpoint folder (e.g. a pretraining export) or preset."})
    task: Optional[str] = field(default=None, metadata={"help": "A `tasks:` entry of the recipe (label mapping); default: the recipe's labels."})
    split: str = field(default="within", metadata={"help": (
        "loso:<subject>, within:<subject>, within (every subject) or given (a trial file's train/test).")})
    test_fraction: float = field(default=0.2, metadata={"help": "within: the last share of each subject tested."})
    validation_fraction: float = field(default=0.15, metadata={"help": "Share of the training windows validated on."})
    validation: str = field(default="stratified", metadata={"help": (
        "stratified (last of each class in time), shuffled (random per class) or time (last in time).")})
    train_fraction: float = field(default=1.0, metadata={"help": "Share of the training windows used."})
    metrics: str = field(default="balanced_accuracy,cohen_kappa,weighted_f1,roc_auc", metadata={"help": "Comma separated."})
    lobe_grouping: Optional[str] = field(default=RECIPE["lobe_grouping"], metadata={"help": (
        "IILP groups: functional, hemisphere, sagittal (keeps left and right apart), coronal or none.")})
    pooling_time_bins: Optional[int] = field(default=RECIPE["pooling_time_bins"], metadata={"help": (
        "Pool k time segments per window (0 = the paper's mean over time).")})
    classifier_head: Optional[str] = field(default=None, metadata={"help": "linear or mlp; default: the model config's."})
    early_stopping_patience: int = field(
        default=RECIPE["early_stopping_patience"],
        metadata={"help": "Stop after this many evaluations without improvement (0 = never stop early)."},
    )
    layer_decay: float = field(default=RECIPE["layer_decay"], metadata={"help": (
        "Layer-wise lr decay: layer l of L × decay^(L+1-l).")})
    time_shift_seconds: float = field(default=RECIPE["time_shift_seconds"], metadata={"help": (
        "Augment: time shift of up to this many seconds.")})
    amplitude_scale: float = field(default=RECIPE["amplitude_scale"], metadata={"help": (
        "Augment: scale training windows by 1 ± s (0 = off).")})
    channel_dropout: float = field(default=RECIPE["channel_dropout"], metadata={"help": (
        "Augment: channel drop probability (0 = off).")})
    freeze_backbone: bool = field(default=False, metadata={"help": "Train the head only (linear probing)."})
    baselines: str = field(default="all", metadata={"help": (
        "Baselines on the same windows and split: all, fast (no EEGNet/ShallowFBCSPNet) or none.")})
    channel_positions: Optional[str] = field(default=None, metadata={"help": (
        "Trial files: JSON {name: [x, y, z]} (metres) or a montage name; default: the file's own.")})


class AtomicCheckpointTrainer(Trainer):
    """`Trainer` whose checkpoints appear all at once: `checkpoint-<step>/` is written complete (model, feature
    extractor, optimizer, scheduler, scaler, RNG and trainer state) into `.staging-checkpoint-<step>/checkpoint-<step>/`
    in the same folder, every file and the folder fsynced, then renamed to its final name with `os.replace` (atomic on
    one filesystem). A crash at any moment leaves either no `checkpoint-<step>` or a complete one, so
    `get_last_checkpoint` / `resume_from_checkpoint=True` never pick up a half-written checkpoint; a staging folder
    left by a crash is deleted by the next save.

    Implementation: `Trainer._save_checkpoint` writes into `self._get_output_dir(trial)`; while it runs we point that
    at the staging folder, then repair `best_model_checkpoint` (Trainer looks for the best checkpoint next to the one
    being written), rewrite `trainer_state.json`, rename, and rotate old checkpoints in the real output folder.
    """

    _staging_dir: Optional[str] = None

    def _get_output_dir(self, trial) -> str:
        return self._staging_dir if self._staging_dir is not None else super()._get_output_dir(trial)

    def _save_checkpoint(self, model, trial) -> None:
        from transformers.trainer import TRAINER_STATE_NAME

        from modeling_neuript.training.checkpoints import fsync_tree

        run_dir = Path(super()._get_output_dir(trial))
        name = f"{PREFIX_CHECKPOINT_DIR}-{self.state.global_step}"
        staging = run_dir / f"{STAGING_PREFIX}{name}"
        if self.args.should_save:
            shutil.rmtree(staging, ignore_errors=True)  # left over from a crash during an earlier save
            staging.mkdir(parents=True)
        self.accelerator.wait_for_everyone()
        self._staging_dir = str(staging)
        try:
            super()._save_checkpoint(model, trial)
        finally:
            self._staging_dir = None
        self.accelerator.wait_for_everyone()
        if not self.args.should_save:
            return
        best = self.state.best_global_step
        if best and (best == self.state.global_step or (run_dir / f"{PREFIX_CHECKPOINT_DIR}-{best}").is_dir()):
            self.state.best_model_checkpoint = str(run_dir / f"{PREFIX_CHECKPOINT_DIR}-{best}")
            self.state.save_to_json(str(staging / name / TRAINER_STATE_NAME))
        fsync_tree(staging)
        target = run_dir / name
        if target.exists():  # the same step saved again (e.g. after a resume): swap, never delete first
            old = run_dir / f"{STAGING_PREFIX}old-{name}"
            shutil.rmtree(old, ignore_errors=True)
            os.replace(target, old)
            os.replace(staging / name, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(staging / name, target)
        shutil.rmtree(staging, ignore_errors=True)
        directory = os.open(run_dir, os.O_RDONLY)  # make the rename itself durable
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
        rotate_checkpoints(output_dir=str(run_dir), save_total_limit=self.args.save_total_limit,
                           best_model_checkpoint=self.state.best_model_checkpoint, use_mtime=True)


def resolve_resume(resume_from_checkpoint, output_dir) -> Optional[str]:
    """`resume_from_checkpoint` as Trainer takes it: `"last"`/`"true"` → the newest complete `checkpoint-<step>` in
    `output_dir` (an error if there is none), a path → that path, None/`"false"` → None."""
    if resume_from_checkpoint in (None, False) or str(resume_from_checkpoint).lower() in ("", "false", "none"):
        return None
    if resume_from_checkpoint is True or str(resume_from_checkpoint).lower() in ("last", "true"):
        last = get_last_checkpoint(output_dir) if os.path.isdir(output_dir) else None
        if last is None:
            raise ValueError(f"resume_from_checkpoint={resume_from_checkpoint!r}, but {output_dir} holds no "
                             f"complete {PREFIX_CHECKPOINT_DIR}-<step> folder to resume from.")
        return last
    if not os.path.isdir(resume_from_checkpoint):
        raise ValueError(f"resume_from_checkpoint={resume_from_checkpoint!r} is not a checkpoint folder.")
    return str(resume_from_checkpoint)


class WindowAugmenter:
    """Training-time augmentation of a collated batch (the recipe's `time_shift_seconds`, `amplitude_scale`,
    `channel_dropout`), applied in µV: the A-law is undone, the window changed, the A-law applied again. Draws from
    torch's global generator, which `Trainer` seeds and restores on resume."""

    def __init__(self, collator, extractor, time_shift_seconds=0.0, amplitude_scale=0.0, channel_dropout=0.0):
        self.collator = collator
        self.alaw_A = extractor.alaw_A
        self.max_shift = int(round(time_shift_seconds * extractor.sampling_rate))
        self.amplitude_scale = float(amplitude_scale)
        self.channel_dropout = float(channel_dropout)
        if not 0 <= self.channel_dropout < 1 or not 0 <= self.amplitude_scale < 1 or self.max_shift < 0:
            raise ValueError("channel_dropout and amplitude_scale must be in [0, 1), time_shift_seconds >= 0.")

    @property
    def active(self) -> bool:
        return bool(self.max_shift or self.amplitude_scale or self.channel_dropout)

    def __call__(self, rows):
        from modeling_neuript.feature_extraction_neuript import a_law_compress, a_law_expand

        batch = self.collator(rows)
        values = batch["input_values"]
        if self.alaw_A is not None:
            values = a_law_expand(values, self.alaw_A)
        size, channels, length = values.shape
        if self.amplitude_scale:
            values = values * (1 + self.amplitude_scale * (2 * torch.rand(size, 1, 1) - 1))
        if self.max_shift:
            shifts = torch.randint(-self.max_shift, self.max_shift + 1, (size, 1, 1))
            index = (torch.arange(length).view(1, 1, -1) - shifts).clamp(0, length - 1).expand(size, channels, length)
            values = values.gather(-1, index)
        batch["input_values"] = a_law_compress(values, self.alaw_A) if self.alaw_A is not None else values
        if self.channel_dropout:
            mask = batch["channel_mask"].bool()
            keep = (torch.rand(mask.shape) >= self.channel_dropout) & mask
            empty = keep.sum(-1) == 0
            keep[empty] = mask[empty]  # never drop every channel of a window
            batch["channel_mask"] = keep.to(batch["channel_mask"].dtype)
        return batch


class RecipeTrainer(AtomicCheckpointTrainer):
    """`AtomicCheckpointTrainer` with the recipe's two training-only changes: an augmenting collator for the training
    batches (evaluation batches are never augmented) and layer-wise learning-rate decay."""

    def __init__(self, *args, train_collator=None, layer_decay: float = 1.0, **kwargs):
        super().__init__(*args, **kwargs)
        self.train_collator = train_collator
        self.layer_decay = float(layer_decay)

    def get_train_dataloader(self):
        if self.train_collator is None:
            return super().get_train_dataloader()
        evaluation_collator, self.data_collator = self.data_collator, self.train_collator
        try:
            return super().get_train_dataloader()
        finally:
            self.data_collator = evaluation_collator

    def create_optimizer(self, model=None):
        if self.layer_decay == 1.0 or self.optimizer is not None:
            return super().create_optimizer(model)
        model = self.model if model is None else model
        decay_names = set(self.get_decay_parameter_names(model))
        layers = model.config.num_hidden_layers
        groups = {}
        for name, parameter in model.named_parameters():
            if not parameter.requires_grad:
                continue
            depth = layer_depth(name, layers)
            key = (depth, name in decay_names)
            groups.setdefault(key, []).append(parameter)
        optimizer_cls, optimizer_kwargs = self.get_optimizer_cls_and_kwargs(self.args, model)
        self.optimizer = optimizer_cls(
            [{"params": params, "weight_decay": self.args.weight_decay if decays else 0.0,
              "lr": self.args.learning_rate * self.layer_decay ** (layers + 1 - depth)}
             for (depth, decays), params in sorted(groups.items())],
            **optimizer_kwargs,
        )
        return self.optimizer


def layer_depth(name: str, layers: int) -> int:
    """0 for the embeddings, l + 1 for encoder layer l (and the merge before it), `layers + 1` for the head."""
    import re

    match = re.search(r"\.(?:layers|merges)\.(\d+)\.", name)
    if match:
        return int(match.group(1)) + 1
    return 0 if name.startswith("neuript.") else layers + 1


def finetune(args: FinetuneArguments, training_args) -> dict:
    from transformers import EarlyStoppingCallback

    from modeling_neuript.data.reading import WindowCollator, load_prepared
    from modeling_neuript.data.splits import warn_if_one_class
    from modeling_neuript.data.trials import ensure_prepared
    from modeling_neuript.training.checkpoints import save_checkpoint
    from modeling_neuript.training.metrics import EEGMetrics

    dataset_path = ensure_prepared(args.dataset, training_args.output_dir, args.channel_positions)
    dataset, extractor, manifest = load_prepared(dataset_path)
    if manifest["mode"] != "events":
        raise ValueError(f"{args.dataset} was prepared in {manifest['mode']!r} mode; fine-tuning needs labelled (events) windows.")
    label_map, names = task_labels(manifest, args.task)
    labels = np.asarray(dataset["label"])
    keep = np.flatnonzero(np.isin(labels, list(label_map)))
    task_labels_all = np.full(len(labels), -1)
    task_labels_all[keep] = [label_map[l] for l in labels[keep]]

    subjects = np.asarray(dataset["subject"])
    starts = np.asarray(dataset["window_start_seconds"])
    folds = dataset["fold"] if "fold" in dataset.column_names else None
    train, validation, test = split_indices(subjects, starts, args.split, args.test_fraction, args.validation_fraction,
                                            labels=labels, validation=args.validation, seed=training_args.seed,
                                            folds=folds)
    train, validation, test = (np.intersect1d(part, keep) for part in (train, validation, test))
    train = subsample(train, task_labels_all, args.train_fraction, training_args.seed)
    warn_if_one_class(validation, task_labels_all, args.split)

    id2label = dict(enumerate(names))
    torch.manual_seed(training_args.seed)
    model = build_classifier(args.model, len(names), id2label, extractor=extractor, lobe_grouping=args.lobe_grouping,
                             classifier_head=args.classifier_head,
                             pooling_time_bins=None if not args.pooling_time_bins else args.pooling_time_bins)
    if args.freeze_backbone:
        for parameter in model.neuript.parameters():
            parameter.requires_grad = False

    columns = dataset.select_columns(["input_values", "channel_positions", "label"]).with_format("numpy")
    collator = WindowCollator(extractor, with_labels=True, label_map=label_map)
    augmenter = WindowAugmenter(collator, extractor, args.time_shift_seconds, args.amplitude_scale, args.channel_dropout)
    metrics = EEGMetrics([m for m in args.metrics.split(",") if m])
    training_args.remove_unused_columns = False  # the collator reads the raw columns
    training_args.label_names = ["labels"]
    if not len(validation) and training_args.load_best_model_at_end:
        raise ValueError("The validation set is empty: raise validation_fraction, or pass --load_best_model_at_end "
                         "false --eval_strategy no to train for a fixed number of epochs.")
    stopping = args.early_stopping_patience > 0 and training_args.load_best_model_at_end
    trainer = RecipeTrainer(
        model=model,
        args=training_args,
        train_dataset=columns.select(train),
        eval_dataset=columns.select(validation) if len(validation) else None,
        data_collator=collator,
        compute_metrics=metrics,
        processing_class=extractor,
        callbacks=[EarlyStoppingCallback(args.early_stopping_patience)] if stopping else [],
        train_collator=augmenter if augmenter.active else None,
        layer_decay=args.layer_decay,
    )
    trainer.train(resume_from_checkpoint=resolve_resume(training_args.resume_from_checkpoint, training_args.output_dir))
    prediction = trainer.predict(columns.select(test), metric_key_prefix="test")
    logits = prediction.predictions[0] if isinstance(prediction.predictions, tuple) else prediction.predictions
    results = {
        "validation": trainer.evaluate(columns.select(validation), metric_key_prefix="validation") if len(validation) else {},
        "test": prediction.metrics,
        "sizes": {"train": len(train), "validation": len(validation), "test": len(test)},
        "split": args.split, "task": args.task, "labels": names, "model": args.model, "dataset": dataset_path,
    }
    if args.baselines != "none":
        results["baselines"] = baseline_rows(dataset, extractor, task_labels_all, train, validation, test,
                                             training_args.seed, args.baselines)
    output = Path(training_args.output_dir)
    save_checkpoint(trainer.model, extractor, output / "model", evaluation=results)
    (output / "metrics.json").write_text(json.dumps(results, indent=2) + "\n")
    (output / "log_history.json").write_text(json.dumps(trainer.state.log_history, indent=2) + "\n")
    results["test_logits"], results["test_labels"] = logits, prediction.label_ids
    results["log_history"] = trainer.state.log_history
    results["model_object"] = trainer.model
    (output / "split.json").write_text(json.dumps(
        {"train": train.tolist(), "validation": validation.tolist(), "test": test.tolist(), "split": args.split}) + "\n")
    print(report_table(results))
    return results


def baseline_rows(dataset, extractor, task_labels_all, train, validation, test, seed: int, which: str) -> list[dict]:
    """The compact baselines (`modeling_neuript.training.baselines`) on exactly this run's windows and split."""
    from modeling_neuript.training.baselines import (
        BASELINES,
        FAST_BASELINES,
        Split,
        available_baselines,
        microvolt_windows,
        run_baselines,
    )

    if which not in ("all", "fast"):
        raise ValueError(f"baselines must be 'all', 'fast' or 'none', got {which!r}.")
    windows = microvolt_windows(dataset, extractor)
    split = Split(np.asarray(train), np.asarray(validation), np.asarray(test))
    methods, note = available_baselines(BASELINES if which == "all" else FAST_BASELINES)
    if note:
        logger.warning(note)
    return run_baselines(windows, task_labels_all, float(extractor.sampling_rate), split, [seed], methods)


def report_table(results: dict) -> str:
    """NeurIPT's test metrics and the baselines' as one markdown table (what `neuript finetune` prints)."""
    test = results["test"]
    lines = [f"{results.get('task') or 'labels'}, split {results['split']} ({results['sizes']['train']} training, "
             f"{results['sizes']['validation']} validation, {results['sizes']['test']} test windows)", "",
             "| method | BAcc | κ | AUROC |", "|---|---|---|---|"]
    cell = lambda value: "—" if value is None else f"{value:.3f}"
    lines.append(f"| NeurIPT | {cell(test.get('test_balanced_accuracy'))} | {cell(test.get('test_cohen_kappa'))} | "
                 f"{cell(test.get('test_roc_auc'))} |")
    for row in results.get("baselines", []):
        lines.append(f"| {row['method']} | {cell(row['balanced_accuracy'])} | {cell(row['cohen_kappa'])} | "
                     f"{cell(row['roc_auc'])} |")
    return "\n".join(lines)


@dataclass
class FinetuneTrainingArguments(TrainingArguments):
    """`TrainingArguments` with the defaults our fine-tuning relies on: evaluation and saving every epoch, the best
    checkpoint by balanced accuracy, no external loggers, CPU unless a GPU is present."""

    output_dir: Optional[str] = field(
        default="outputs/finetune", metadata={"help": "Run folder: model/, metrics.json, log_history.json, split.json."}
    )
    eval_strategy: str = field(default="epoch", metadata={"help": "When to evaluate on the validation windows."})
    save_strategy: str = field(default="epoch", metadata={"help": "When to write a (resumable) checkpoint."})
    load_best_model_at_end: bool = field(
        default=RECIPE["load_best_model_at_end"],
        metadata={"help": "Keep the checkpoint best on metric_for_best_model (with early_stopping_patience)."},
    )
    metric_for_best_model: Optional[str] = field(
        default="balanced_accuracy", metadata={"help": "Validation metric that picks the best checkpoint."}
    )
    greater_is_better: Optional[bool] = field(default=True, metadata={"help": "Whether a higher metric is better."})
    save_total_limit: Optional[int] = field(default=2, metadata={"help": "Checkpoints kept (the best one included)."})
    report_to: Optional[str] = field(default="none", metadata={"help": "Loggers: none, tensorboard, wandb, ..."})
    per_device_train_batch_size: int = field(default=32, metadata={"help": "Training windows per batch."})
    per_device_eval_batch_size: int = field(default=64, metadata={"help": "Evaluation windows per batch."})
    learning_rate: float = field(default=RECIPE["learning_rate"], metadata={"help": "Peak learning rate (AdamW)."})
    weight_decay: float = field(default=0.05, metadata={"help": "AdamW weight decay."})
    num_train_epochs: float = field(default=RECIPE["num_train_epochs"], metadata={"help": "Passes over the training windows."})
    warmup_steps: float = field(
        default=0.1, metadata={"help": "Warm-up: a fraction of the updates (< 1) or a number of updates."}
    )
    lr_scheduler_type: str = field(default="cosine", metadata={"help": "Learning-rate schedule after the warm-up."})
    logging_steps: float = field(default=10, metadata={"help": "Log the training loss every this many updates."})
    seed: int = field(default=520, metadata={"help": "Seed of the head's initialisation, data order and dropout."})
    use_cpu: bool = field(
        default=not torch.cuda.is_available(), metadata={"help": "Train on the CPU (default: when no GPU is present)."}
    )
    resume_from_checkpoint: Optional[str] = field(
        default=None,
        metadata={"help": "'last' (the newest complete checkpoint in output_dir) or a checkpoint folder to resume "
                          "from; default: start afresh."},
    )



def default_training_arguments(output_dir: str, **overrides):
    """`FinetuneTrainingArguments(output_dir=..., **overrides)`, for programmatic use."""
    return FinetuneTrainingArguments(output_dir=output_dir, **overrides)


def run_finetune(args: FinetuneArguments, training_args) -> int:
    finetune(args, training_args)
    return 0
