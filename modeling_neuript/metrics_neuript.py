# coding=utf-8
# Copyright 2026 The NeurIPT developers. MIT licence.
"""EEG classification metrics for `Trainer`, in numpy alone, so that they travel with every checkpoint:

    trainer = Trainer(model=model, ..., compute_metrics=model.compute_metrics)

`eeg_classification_metrics(eval_prediction)` (also `NeurIPTForSequenceClassification.compute_metrics`) returns the
paper's metrics: balanced accuracy (the mean of the per-class recalls — not plain accuracy), Cohen's kappa, F1
weighted by class support and, when every class occurs in the references, the one-vs-rest ROC AUC averaged over
classes (of the softmax probabilities). Each equals its scikit-learn counterpart (`balanced_accuracy_score`,
`cohen_kappa_score`, `f1_score(average="weighted")`, `roc_auc_score(multi_class="ovr")`), which
`modeling_neuript.training.metrics` uses where scikit-learn is installed.

Part of the Hub bundle: numpy only.
"""

import numpy as np


def _confusion(references: np.ndarray, predictions: np.ndarray, num_classes: int) -> np.ndarray:
    """`(num_classes, num_classes)` counts, rows = true class, columns = predicted class."""
    matrix = np.zeros((num_classes, num_classes), dtype=np.float64)
    np.add.at(matrix, (references, predictions), 1)
    return matrix


def balanced_accuracy(references, predictions) -> float:
    """Mean recall over the classes that occur in `references`."""
    references, predictions = np.asarray(references, dtype=np.int64), np.asarray(predictions, dtype=np.int64)
    matrix = _confusion(references, predictions, int(max(references.max(), predictions.max())) + 1)
    support = matrix.sum(axis=1)
    present = support > 0
    return float(np.mean(np.diag(matrix)[present] / support[present]))


def cohen_kappa(references, predictions) -> float:
    """Agreement beyond chance: `(p_o − p_e) / (1 − p_e)`."""
    references, predictions = np.asarray(references, dtype=np.int64), np.asarray(predictions, dtype=np.int64)
    matrix = _confusion(references, predictions, int(max(references.max(), predictions.max())) + 1)
    total = matrix.sum()
    observed = np.trace(matrix) / total
    expected = float((matrix.sum(axis=0) * matrix.sum(axis=1)).sum()) / total**2
    return float((observed - expected) / (1 - expected)) if expected < 1 else 0.0


def weighted_f1(references, predictions) -> float:
    """Per-class F1 averaged with the classes' support in `references` as weights."""
    references, predictions = np.asarray(references, dtype=np.int64), np.asarray(predictions, dtype=np.int64)
    matrix = _confusion(references, predictions, int(max(references.max(), predictions.max())) + 1)
    true_positive = np.diag(matrix)
    support, predicted = matrix.sum(axis=1), matrix.sum(axis=0)
    denominator = support + predicted
    f1 = np.divide(2 * true_positive, denominator, out=np.zeros_like(true_positive), where=denominator > 0)
    return float((f1 * support).sum() / support.sum())


def _binary_auc(positive: np.ndarray, scores: np.ndarray) -> float:
    """Area under the ROC curve = the Mann-Whitney U statistic, ties counted half."""
    order = np.argsort(scores, kind="mergesort")
    ranks = np.empty(len(scores), dtype=np.float64)
    sorted_scores = scores[order]
    start = 0
    while start < len(scores):  # average ranks over runs of tied scores
        stop = start
        while stop + 1 < len(scores) and sorted_scores[stop + 1] == sorted_scores[start]:
            stop += 1
        ranks[order[start : stop + 1]] = (start + stop) / 2 + 1
        start = stop + 1
    count_positive = int(positive.sum())
    count_negative = len(positive) - count_positive
    u = ranks[positive].sum() - count_positive * (count_positive + 1) / 2
    return float(u / (count_positive * count_negative))


def roc_auc(references, probabilities) -> float:
    """Binary: the AUC of the positive class's probability; more classes: one-vs-rest AUCs averaged over classes.
    `nan` when some class never occurs in `references` (or every window has it): the AUC is undefined there."""
    references = np.asarray(references, dtype=np.int64)
    probabilities = np.asarray(probabilities, dtype=np.float64)
    num_classes = probabilities.shape[-1]
    classes = [1] if num_classes == 2 else range(num_classes)
    values = []
    for label in classes:
        positive = references == label
        if positive.all() or not positive.any():
            return float("nan")
        values.append(_binary_auc(positive, probabilities[:, label]))
    return float(np.mean(values))


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=-1, keepdims=True)


def eeg_classification_metrics(eval_prediction) -> dict:
    """`compute_metrics` for `Trainer` (an `EvalPrediction`, or a `(logits, labels)` pair): `balanced_accuracy`,
    `cohen_kappa`, `weighted_f1` and, where defined, `roc_auc`."""
    logits, references = eval_prediction
    if isinstance(logits, (tuple, list)):  # a model output with more than the logits (keys not ignored)
        logits = logits[0]
    logits = np.asarray(logits, dtype=np.float64)
    references = np.asarray(references).astype(np.int64).reshape(-1)
    predictions = logits.argmax(axis=-1)
    results = {
        "balanced_accuracy": balanced_accuracy(references, predictions),
        "cohen_kappa": cohen_kappa(references, predictions),
        "weighted_f1": weighted_f1(references, predictions),
    }
    auc = roc_auc(references, softmax(logits))
    if not np.isnan(auc):
        results["roc_auc"] = auc
    return results


__all__ = ["balanced_accuracy", "cohen_kappa", "eeg_classification_metrics", "roc_auc", "weighted_f1"]
