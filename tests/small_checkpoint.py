"""A small NeurIPT classifier checkpoint for the hub, pipeline and export tests (imported as `from small_checkpoint
import ...`; pytest puts tests/ on the path): the tiny preset cut to three layers (one dense, two with experts), so
every code path of the full model runs, in a fraction of the time."""

from pathlib import Path

import torch

from helpers import tiny_config
from modeling_neuript import NeurIPTFeatureExtractor, NeurIPTForSequenceClassification
from modeling_neuript.training.checkpoints import save_checkpoint

REPO = Path(__file__).resolve().parents[1]
LABELS = ("rest", "task")
# The shape of what `neuript finetune` writes as evaluation.json / metrics.json (numbers made up for the card test)
EVALUATION = {
    "validation": {"validation_loss": 0.6931, "validation_balanced_accuracy": 0.5625, "validation_runtime": 1.2},
    "test": {
        "test_loss": 0.7012,
        "test_balanced_accuracy": 0.6123,
        "test_cohen_kappa": 0.2246,
        "test_roc_auc": 0.6541,
        "test_samples_per_second": 88.0,
    },
    "sizes": {"train": 120, "validation": 20, "test": 30},
    "split": "loso:s02",
    "task": "rest_vs_task",
    "labels": list(LABELS),
    "model": "neuript-tiny",
}


def small_classifier(seed: int = 0, window_seconds: float = 2.0) -> NeurIPTForSequenceClassification:
    torch.manual_seed(seed)
    config = tiny_config(
        window_seconds=window_seconds,
        num_hidden_layers=3,
        merge_factors=[1, 4, 2],
        num_experts_per_layer=[0, 2, 4],
        num_labels=len(LABELS),
        id2label=dict(enumerate(LABELS)),
        label2id={name: i for i, name in enumerate(LABELS)},
    )
    return NeurIPTForSequenceClassification(config).eval()


def small_checkpoint(folder: Path, window_seconds: float = 2.0, seed: int = 0) -> Path:
    """Save `small_classifier(seed)` with a feature extractor of `window_seconds` windows and an evaluation.json, as
    `neuript finetune` does (`save_checkpoint`)."""
    extractor = NeurIPTFeatureExtractor(window_seconds=window_seconds)
    return save_checkpoint(small_classifier(seed, window_seconds), extractor, folder, evaluation=EVALUATION)

