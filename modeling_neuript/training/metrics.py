"""EEG classification metrics for `Trainer`: the paper's BAcc, Cohen's κ, weighted F1, AUROC and AUC-PR.

Each metric is a local `evaluate` module in `modeling_neuript/training/metric_modules/` (built on scikit-learn), loaded by path, so
nothing is fetched from the Hub (`evaluate.load("accuracy")` needs the network; these do not).
"""

from pathlib import Path
from typing import Sequence

import numpy as np

METRICS_DIR = Path(__file__).resolve().parent / "metric_modules"
AVAILABLE = ("balanced_accuracy", "cohen_kappa", "weighted_f1", "roc_auc", "pr_auc")
USES_SCORES = {"roc_auc", "pr_auc"}  # the others use the predicted class


def load_eeg_metric(name: str):
    """`evaluate.load` of one of our local metric modules."""
    import evaluate

    if name not in AVAILABLE:
        raise ValueError(f"Unknown metric {name!r}; available: {AVAILABLE}.")
    return evaluate.load(str(METRICS_DIR / f"{name}.py"))


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=-1, keepdims=True)


class EEGMetrics:
    """`compute_metrics` for `Trainer`: logits → class probabilities → the requested metrics.

    `EEGMetrics(["balanced_accuracy", "cohen_kappa", "roc_auc"])(eval_prediction)` returns a dict of floats. AUROC /
    AUC-PR are skipped (not reported) when the references hold a single class, where they are undefined.
    """

    def __init__(self, names: Sequence[str] = ("balanced_accuracy", "cohen_kappa", "weighted_f1", "roc_auc")):
        self.names = list(names)
        self.metrics = {name: load_eeg_metric(name) for name in self.names}

    def compute(self, logits: np.ndarray, references: np.ndarray) -> dict:
        logits = np.asarray(logits[0] if isinstance(logits, tuple) else logits, dtype=np.float64)
        references = np.asarray(references).astype(np.int64).reshape(-1)
        probabilities = softmax(logits)
        predictions = probabilities.argmax(axis=-1)
        results = {}
        for name, metric in self.metrics.items():
            if name in USES_SCORES:
                if len(np.unique(references)) < 2:
                    continue
                results.update(metric.compute(predictions=probabilities.tolist(), references=references.tolist()))
            else:
                results.update(metric.compute(predictions=predictions.tolist(), references=references.tolist()))
        return results

    def __call__(self, eval_prediction) -> dict:
        return self.compute(eval_prediction.predictions, eval_prediction.label_ids)
