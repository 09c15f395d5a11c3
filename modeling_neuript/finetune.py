"""`neuript finetune`: fine-tune a NeurIPT classifier (IILP head) on a prepared, labelled dataset with `Trainer`.

    neuript finetune --dataset prepared/face13 --task face_vs_house --split loso:s02 \\
        --model runs/pretrain/model --output_dir runs/face-house --num_train_epochs 10

Splits are by subject or by time, never random across overlapping windows: `loso:<subject>` tests on one subject
and trains on the others; `within:<subject>` (or `within` for every subject) trains on the first part of each
subject's recording and tests on the last `test_fraction`. A time-ordered `validation_fraction` of the training
windows drives early stopping and best-checkpoint selection on `metric_for_best_model` (balanced accuracy by default).
The result folder holds `model/` (weights, config with label names, feature extractor), `metrics.json` and
`split.json` (the exact window indices: a fixed split manifest).
"""

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import numpy as np
import torch
from transformers import TrainingArguments


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
    lobe_grouping: Optional[str] = field(default=None, metadata={"help": "Override: functional/hemisphere/sagittal/coronal/none."})
    classifier_head: Optional[str] = field(default=None, metadata={"help": "Override: linear or mlp."})
    early_stopping_patience: int = field(default=3)
    freeze_backbone: bool = field(default=False, metadata={"help": "Train the head only (linear probing)."})


def task_labels(manifest: dict, task: Optional[str]) -> tuple[dict, list]:
    """`(dataset label → task label index, task label names)` from the recipe saved in the manifest."""
    recipe = manifest["recipe"]
    names = recipe.get("label_names") or sorted(recipe["windows"]["events"], key=recipe["windows"]["events"].get)
    if task is None:
        return {i: i for i in range(len(names))}, list(names)
    tasks = recipe.get("tasks") or {}
    if task not in tasks:
        raise ValueError(f"Task {task!r} is not in the recipe; it defines {sorted(tasks)}.")
    mapping = tasks[task]  # {dataset label name: task label name}
    task_names = list(dict.fromkeys(mapping.values()))
    return {names.index(source): task_names.index(target) for source, target in mapping.items()}, task_names


def split_indices(subjects, starts, split: str, test_fraction: float, validation_fraction: float):
    """`(train, validation, test)` window indices for a split spec (see the module docstring)."""
    from .training_utils import time_ordered_split

    subjects = np.asarray(subjects)
    everyone = sorted(set(subjects.tolist()))
    kind, _, subject = split.partition(":")
    if kind == "loso":
        if subject not in everyone:
            raise ValueError(f"loso needs one of the subjects {everyone}, got {subject!r}.")
        test = np.flatnonzero(subjects == subject)
        pools = [np.flatnonzero(subjects == s) for s in everyone if s != subject]
    elif kind == "within":
        chosen = [subject] if subject else everyone
        if subject and subject not in everyone:
            raise ValueError(f"within needs one of the subjects {everyone}, got {subject!r}.")
        pools, tests = [], []
        for s in chosen:
            head, tail = time_ordered_split(np.flatnonzero(subjects == s), starts, test_fraction)
            pools.append(head)
            tests.append(tail)
        test = np.concatenate(tests)
    else:
        raise ValueError(f"split must be 'loso:<subject>', 'within:<subject>' or 'within', got {split!r}.")
    train, validation = [], []
    for pool in pools:
        head, tail = time_ordered_split(pool, starts, validation_fraction)
        train.append(head)
        validation.append(tail)
    return np.concatenate(train), np.concatenate(validation), test


def subsample(indices: np.ndarray, labels: np.ndarray, fraction: float, seed: int) -> np.ndarray:
    """A class-stratified random `fraction` of `indices` (at least one window per class)."""
    if fraction >= 1.0:
        return indices
    rng = np.random.default_rng(seed)
    kept = []
    for label in np.unique(labels[indices]):
        members = indices[labels[indices] == label]
        count = max(1, int(round(fraction * len(members))))
        kept.append(rng.choice(members, size=count, replace=False))
    return np.sort(np.concatenate(kept))


def build_classifier(model: str, num_labels: int, id2label: dict, **overrides):
    """A `NeurIPTForSequenceClassification` from a checkpoint (any NeurIPT checkpoint: the encoder is reused, new
    weights are reported) or from a preset (random init)."""
    from .modeling_neuript import NeurIPTForSequenceClassification
    from .pretrain import resolve_config

    label2id = {name: i for i, name in id2label.items()}
    overrides = {k: v for k, v in overrides.items() if v is not None}
    path = Path(model)
    if path.is_dir() and (path / "model.safetensors").exists():
        classifier, info = NeurIPTForSequenceClassification.from_pretrained(
            path, num_labels=num_labels, id2label=id2label, label2id=label2id, output_loading_info=True, **overrides
        )
        new = sorted(info["missing_keys"])
        dropped = sorted({k.split(".")[0] for k in info["unexpected_keys"]})
        # from_pretrained has already refused a checkpoint that lacks encoder weights; only head weights are new
        print(f"loaded the encoder from {path}; newly initialised: {new}; not used: {dropped or 'nothing'}")
        return classifier
    config = resolve_config(model, **overrides)
    config.num_labels, config.id2label, config.label2id = num_labels, id2label, label2id
    return NeurIPTForSequenceClassification(config)


def finetune(args: FinetuneArguments, training_args) -> dict:
    from transformers import EarlyStoppingCallback, Trainer

    from .eeg_metrics import EEGMetrics
    from .training_utils import WindowCollator, load_prepared, save_checkpoint

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
    model = build_classifier(args.model, len(names), id2label, lobe_grouping=args.lobe_grouping,
                             classifier_head=args.classifier_head)
    if args.freeze_backbone:
        for parameter in model.neuript.parameters():
            parameter.requires_grad = False

    columns = dataset.select_columns(["input_values", "channel_positions", "label"]).with_format("numpy")
    collator = WindowCollator(extractor, with_labels=True, label_map=label_map)
    metrics = EEGMetrics([m for m in args.metrics.split(",") if m])
    training_args.remove_unused_columns = False  # the collator reads the raw columns
    training_args.label_names = ["labels"]
    trainer = Trainer(
        model=model,
        args=training_args,
        train_dataset=columns.select(train),
        eval_dataset=columns.select(validation),
        data_collator=collator,
        compute_metrics=metrics,
        processing_class=extractor,
        callbacks=[EarlyStoppingCallback(args.early_stopping_patience)] if training_args.load_best_model_at_end else [],
    )
    trainer.train(resume_from_checkpoint=training_args.resume_from_checkpoint)
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

    output_dir: Optional[str] = field(default="outputs/finetune")
    eval_strategy: str = field(default="epoch")
    save_strategy: str = field(default="epoch")
    load_best_model_at_end: bool = field(default=True)
    metric_for_best_model: Optional[str] = field(default="balanced_accuracy")
    greater_is_better: Optional[bool] = field(default=True)
    save_total_limit: Optional[int] = field(default=2)
    report_to: Optional[str] = field(default="none")
    per_device_train_batch_size: int = field(default=32)
    per_device_eval_batch_size: int = field(default=64)
    learning_rate: float = field(default=1e-3)
    weight_decay: float = field(default=0.05)
    num_train_epochs: float = field(default=10)
    warmup_steps: float = field(default=0.1)
    lr_scheduler_type: str = field(default="cosine")
    logging_steps: float = field(default=10)
    seed: int = field(default=520)
    use_cpu: bool = field(default=not torch.cuda.is_available())



def default_training_arguments(output_dir: str, **overrides):
    """`FinetuneTrainingArguments(output_dir=..., **overrides)`, for programmatic use."""
    return FinetuneTrainingArguments(output_dir=output_dir, **overrides)


def run_finetune(args: FinetuneArguments, training_args) -> int:
    finetune(args, training_args)
    return 0
