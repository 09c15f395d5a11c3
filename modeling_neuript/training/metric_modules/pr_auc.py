"""AUC-PR — a local `evaluate` metric (load it by path: the Hub is not needed).

Area under the precision-recall curve as average precision (sklearn `average_precision_score`). Binary: scores of the positive class; multi-class: one-vs-rest, macro-averaged.
"""

import datasets
import evaluate
import numpy as np
from sklearn.metrics import average_precision_score

_DESCRIPTION = """Area under the precision-recall curve as average precision (sklearn `average_precision_score`). Binary: scores of the positive class; multi-class: one-vs-rest, macro-averaged."""

_KWARGS_DESCRIPTION = """
Args:
    predictions: per-window class probabilities, shape (n, K) (K = 2 for binary tasks).
    references: true class indices (int).
Returns:
    {"pr_auc": float}
"""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class PrAuc(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation="",
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features(
                {"predictions": datasets.Sequence(datasets.Value("float64")), "references": datasets.Value("int64")}
            ),
            reference_urls=["https://scikit-learn.org/stable/modules/model_evaluation.html"],
        )

    def _compute(self, predictions, references):
        scores = np.asarray(predictions, dtype=np.float64)
        references = np.asarray(references)
        if scores.shape[1] == 2:
            return {"pr_auc": float(average_precision_score(references, scores[:, 1]))}
        one_hot = np.eye(scores.shape[1])[references]
        return {"pr_auc": float(average_precision_score(one_hot, scores, average="macro"))}
