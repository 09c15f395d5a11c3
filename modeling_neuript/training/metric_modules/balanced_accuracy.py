"""Balanced accuracy — a local `evaluate` metric (load it by path: the Hub is not needed).

Mean recall over classes (sklearn `balanced_accuracy_score`); chance is 1/K whatever the class balance. The main EEG metric (BAcc).
"""

import datasets
import evaluate
import numpy as np
from sklearn.metrics import balanced_accuracy_score

_DESCRIPTION = """Mean recall over classes (sklearn `balanced_accuracy_score`); chance is 1/K whatever the class balance. The main EEG metric (BAcc)."""

_KWARGS_DESCRIPTION = """
Args:
    predictions: predicted class indices (int).
    references: true class indices (int).
Returns:
    {"balanced_accuracy": float}
"""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class BalancedAccuracy(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation="",
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features(
                {"predictions": datasets.Value("int64"), "references": datasets.Value("int64")}
            ),
            reference_urls=["https://scikit-learn.org/stable/modules/model_evaluation.html"],
        )

    def _compute(self, predictions, references):
        return {"balanced_accuracy": float(balanced_accuracy_score(references, predictions))}
