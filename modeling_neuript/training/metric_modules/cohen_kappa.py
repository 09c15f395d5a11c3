"""Cohen's kappa — a local `evaluate` metric (load it by path: the Hub is not needed).

Agreement beyond chance between predictions and references (sklearn `cohen_kappa_score`, unweighted); 0 = chance, 1 = perfect.
"""

import datasets
import evaluate
import numpy as np
from sklearn.metrics import cohen_kappa_score

_DESCRIPTION = """Agreement beyond chance between predictions and references (sklearn `cohen_kappa_score`, unweighted); 0 = chance, 1 = perfect."""

_KWARGS_DESCRIPTION = """
Args:
    predictions: predicted class indices (int).
    references: true class indices (int).
Returns:
    {"cohen_kappa": float}
"""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class CohenKappa(evaluate.Metric):
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
        return {"cohen_kappa": float(cohen_kappa_score(references, predictions))}
