"""AUROC — a local `evaluate` metric (load it by path: the Hub is not needed).

Area under the ROC curve (sklearn `roc_auc_score`). Binary: scores of the positive class; multi-class: one-vs-rest, macro-averaged over classes, from the per-class probabilities.
"""

import datasets
import evaluate
import numpy as np
from sklearn.metrics import roc_auc_score

_DESCRIPTION = """Area under the ROC curve (sklearn `roc_auc_score`). Binary: scores of the positive class; multi-class: one-vs-rest, macro-averaged over classes, from the per-class probabilities."""

_KWARGS_DESCRIPTION = """
Args:
    predictions: per-window class probabilities, shape (n, K) (K = 2 for binary tasks).
    references: true class indices (int).
Returns:
    {"roc_auc": float}
"""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class RocAuc(evaluate.Metric):
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
            return {"roc_auc": float(roc_auc_score(references, scores[:, 1]))}
        return {"roc_auc": float(roc_auc_score(references, scores, multi_class="ovr", average="macro", labels=np.arange(scores.shape[1])))}
