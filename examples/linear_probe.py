"""Extract NeurIPT embeddings (the IILP features: per lobe, per layer) and fit a linear probe with scikit-learn.

    python examples/linear_probe.py --model runs/pretrain/model --dataset prepared/face13 --task face_vs_house

The encoder stays frozen; `NeurIPTEmbedder`-style feature extraction is one forward pass per batch. The probe is a
standardised logistic regression evaluated leave-one-subject-out (balanced accuracy per held-out subject).
"""

import argparse

import numpy as np
import torch


def embed(model, dataset, extractor, batch_size: int = 64) -> np.ndarray:
    """IILP features `(windows, representations · groups · hidden)` of a prepared dataset."""
    from modeling_neuript.data.reading import WindowCollator

    collate = WindowCollator(extractor)
    columns = dataset.select_columns(["input_values", "channel_positions"]).with_format("numpy")
    features = []
    model.eval()
    with torch.no_grad():
        for start in range(0, len(columns), batch_size):
            rows = columns[start : start + batch_size]
            batch = collate([dict(zip(rows, values)) for values in zip(*rows.values())])
            features.append(model(**batch).pooled_output.numpy())
    return np.concatenate(features)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="Any NeurIPT checkpoint (pretraining export or classifier) or preset.")
    parser.add_argument("--dataset", required=True, help="Folder written by `neuript prepare` (events mode).")
    parser.add_argument("--task", default=None, help="A `tasks:` entry of the recipe.")
    args = parser.parse_args(argv)

    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import balanced_accuracy_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from modeling_neuript.data.reading import load_prepared
    from modeling_neuript.data.splits import subject_splits, task_labels
    from modeling_neuript.training.factory import build_classifier

    dataset, extractor, manifest = load_prepared(args.dataset)
    label_map, names = task_labels(manifest, args.task)
    model = build_classifier(args.model, len(names), dict(enumerate(names)))
    features = embed(model, dataset, extractor)
    labels = np.array([label_map.get(l, -1) for l in dataset["label"]])
    keep = labels >= 0
    scores = {}
    for subject, train, test in subject_splits(dataset["subject"]):
        train, test = train[keep[train]], test[keep[test]]
        probe = make_pipeline(StandardScaler(), LogisticRegression(C=0.01, max_iter=2000))
        probe.fit(features[train], labels[train])
        scores[subject] = balanced_accuracy_score(labels[test], probe.predict(features[test]))
        print(f"held-out {subject}: balanced accuracy {scores[subject]:.3f} ({len(test)} windows)")
    return {"features_shape": features.shape, "balanced_accuracy": scores}


if __name__ == "__main__":
    main()
