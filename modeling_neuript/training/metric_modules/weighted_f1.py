"""Weighted F1 — a local `evaluate` metric (load it by path: the Hub is not needed).

F1 per class averaged with class-frequency weights (sklearn `f1_score(average='weighted')`), the paper's W-F1.
"""

import datasets
import evaluate
import numpy as np
from sklearn.metrics import f1_score

_DESCRIPTION = """F1 per class averaged with class-frequency weights (sklearn `f1_score(average='weighted')`), the paper's W-F1."""

_KWARGS_DESCRIPTION = """
Args:
    predictions: predicted class indices (int).
    references: true class indices (int).
Returns:
    {"weighted_f1": float}
"""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class WeightedF1(evaluate.Metric):
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
        return {"weighted_f1": float(f1_score(references, predictions, average="weighted"))}
