"""`neuript finetune`: fine-tune a NeurIPT classifier (IILP head) on a prepared, labelled dataset with `Trainer`.

    neuript finetune --dataset prepared/face13 --task face_vs_house --split loso:s02 \\
        --model runs/pretrain/model --output_dir runs/face-house --num_train_epochs 10

Splits are by subject or by time, never random across overlapping windows: `loso:<subject>` tests on one subject
and trains on the others; `within:<subject>` (or `within` for every subject) trains on the first part of each
subject's recording and tests on the last `test_fraction`. A time-ordered `validation_fraction` of the training
windows drives early stopping and best-checkpoint selection on `metric_for_best_model` (balanced accuracy by default).
The result folder holds `model/` (weights, config with label names, feature extractor), `metrics.json`,
`log_history.json` (every logged loss and metric) and `split.json` (the exact window indices: a fixed split
manifest).

Checkpoints (`checkpoint-<step>/`: model, feature extractor, optimizer, scheduler, RNG and trainer state) are written
by `AtomicCheckpointTrainer` into a hidden staging folder, fsynced and renamed into place, so a crash never leaves a
half-written `checkpoint-<step>` for `--resume_from_checkpoint` to pick up. `--resume_from_checkpoint last` resumes
from the newest complete checkpoint in `output_dir`; on CPU the resumed run logs the same losses as an uninterrupted
one (Trainer restores the optimizer, scheduler, RNG states and the position in the epoch's data order).
"""

import json
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

STAGING_PREFIX = ".staging-"  # Trainer only recognises `checkpoint-<step>` (anchored regex), never a staging folder


@dataclass
class FinetuneArguments:
    dataset: str = field(metadata={"help": "Folder written by `neuript prepare` in events mode."})
    model: str = field(default="neuript-tiny", metadata={"help": "Checkpoint folder (e.g. a pretraining export) or preset."})
    task: Optional[str] = field(default=None, metadata={"help": "A `tasks:` entry of the recipe (label mapping); default: the recipe's labels."})
    split: str = field(default="within", metadata={"help": "'loso:<subject>', 'within:<subject>' or 'within'."})
    test_fraction: float = field(default=0.2, metadata={"help": "Within-subject: last fraction of each subject's windows tested."})
    validation_fraction: float = field(default=0.15, metadata={"help": "Last fraction of each subject's training windows for validation."})
    train_fraction: float = field(default=1.0, metadata={"help": "Use this fraction of the training windows (low-label runs)."})
    metrics: str = field(default="balanced_accuracy,cohen_kappa,weighted_f1,roc_auc", metadata={"help": "Comma separated."})
    lobe_grouping: Optional[str] = field(default=None, metadata={"help": "IILP groups: functional, hemisphere, sagittal, coronal or none; default: the model config's."})
    classifier_head: Optional[str] = field(default=None, metadata={"help": "linear or mlp; default: the model config's."})
    early_stopping_patience: int = field(
        default=3, metadata={"help": "Stop after this many evaluations without a better metric_for_best_model."}
    )
    freeze_backbone: bool = field(default=False, metadata={"help": "Train the head only (linear probing)."})


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


def finetune(args: FinetuneArguments, training_args) -> dict:
    from transformers import EarlyStoppingCallback

    from modeling_neuript.data.reading import WindowCollator, load_prepared
    from modeling_neuript.training.checkpoints import save_checkpoint
    from modeling_neuript.training.metrics import EEGMetrics

    dataset, extractor, manifest = load_prepared(args.dataset)
    if manifest["mode"] != "events":
        raise ValueError(f"{args.dataset} was prepared in {manifest['mode']!r} mode; fine-tuning needs labelled (events) windows.")
    label_map, names = task_labels(manifest, args.task)
    labels = np.asarray(dataset["label"])
    keep = np.flatnonzero(np.isin(labels, list(label_map)))
    task_labels_all = np.full(len(labels), -1)
    task_labels_all[keep] = [label_map[l] for l in labels[keep]]

    subjects = np.asarray(dataset["subject"])
    starts = np.asarray(dataset["window_start_seconds"])
    train, validation, test = split_indices(subjects, starts, args.split, args.test_fraction, args.validation_fraction)
    train, validation, test = (np.intersect1d(part, keep) for part in (train, validation, test))
    train = subsample(train, task_labels_all, args.train_fraction, training_args.seed)

    id2label = dict(enumerate(names))
    torch.manual_seed(training_args.seed)
    model = build_classifier(args.model, len(names), id2label, extractor=extractor, lobe_grouping=args.lobe_grouping,
                             classifier_head=args.classifier_head)
    if args.freeze_backbone:
        for parameter in model.neuript.parameters():
            parameter.requires_grad = False

    columns = dataset.select_columns(["input_values", "channel_positions", "label"]).with_format("numpy")
    collator = WindowCollator(extractor, with_labels=True, label_map=label_map)
    metrics = EEGMetrics([m for m in args.metrics.split(",") if m])
    training_args.remove_unused_columns = False  # the collator reads the raw columns
    training_args.label_names = ["labels"]
    trainer = AtomicCheckpointTrainer(
        model=model,
        args=training_args,
        train_dataset=columns.select(train),
        eval_dataset=columns.select(validation),
        data_collator=collator,
        compute_metrics=metrics,
        processing_class=extractor,
        callbacks=[EarlyStoppingCallback(args.early_stopping_patience)] if training_args.load_best_model_at_end else [],
    )
    trainer.train(resume_from_checkpoint=resolve_resume(training_args.resume_from_checkpoint, training_args.output_dir))
    prediction = trainer.predict(columns.select(test), metric_key_prefix="test")
    logits = prediction.predictions[0] if isinstance(prediction.predictions, tuple) else prediction.predictions
    results = {
        "validation": trainer.evaluate(columns.select(validation), metric_key_prefix="validation"),
        "test": prediction.metrics,
        "sizes": {"train": len(train), "validation": len(validation), "test": len(test)},
        "split": args.split, "task": args.task, "labels": names, "model": args.model,
    }
    output = Path(training_args.output_dir)
    save_checkpoint(trainer.model, extractor, output / "model", evaluation=results)
    (output / "metrics.json").write_text(json.dumps(results, indent=2) + "\n")
    (output / "log_history.json").write_text(json.dumps(trainer.state.log_history, indent=2) + "\n")
    results["test_logits"], results["test_labels"] = logits, prediction.label_ids
    results["log_history"] = trainer.state.log_history
    results["model_object"] = trainer.model
    (output / "split.json").write_text(json.dumps(
        {"train": train.tolist(), "validation": validation.tolist(), "test": test.tolist(), "split": args.split}) + "\n")
    print(json.dumps(results["test"], indent=2))
    return results


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
        default=True, metadata={"help": "Keep the checkpoint best on metric_for_best_model (enables early stopping)."}
    )
    metric_for_best_model: Optional[str] = field(
        default="balanced_accuracy", metadata={"help": "Validation metric that picks the best checkpoint."}
    )
    greater_is_better: Optional[bool] = field(default=True, metadata={"help": "Whether a higher metric is better."})
    save_total_limit: Optional[int] = field(default=2, metadata={"help": "Checkpoints kept (the best one included)."})
    report_to: Optional[str] = field(default="none", metadata={"help": "Loggers: none, tensorboard, wandb, ..."})
    per_device_train_batch_size: int = field(default=32, metadata={"help": "Training windows per batch."})
    per_device_eval_batch_size: int = field(default=64, metadata={"help": "Evaluation windows per batch."})
    learning_rate: float = field(default=1e-3, metadata={"help": "Peak learning rate (AdamW)."})
    weight_decay: float = field(default=0.05, metadata={"help": "AdamW weight decay."})
    num_train_epochs: float = field(default=10, metadata={"help": "Passes over the training windows."})
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
