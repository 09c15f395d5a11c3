"""Classify every window of a new recording with a fine-tuned NeurIPT checkpoint.

    python examples/predict_new_recording.py --model runs/face-house/model --file new_recording.edf

Two `from_pretrained` calls give the feature extractor (the checkpoint's preprocessing contract) and the classifier;
`trust_remote_code=True` lets this work where the neuript package is not installed. Prints one line per window.
"""

import argparse


def main(argv=None) -> list:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="Folder of a fine-tuned checkpoint (or a Hub id).")
    parser.add_argument("--file", required=True, help="A recording mne can read (EDF, BDF, FIF, ...).")
    args = parser.parse_args(argv)

    import mne
    import torch
    from transformers import AutoFeatureExtractor, AutoModelForSequenceClassification

    extractor = AutoFeatureExtractor.from_pretrained(args.model, trust_remote_code=True)
    model = AutoModelForSequenceClassification.from_pretrained(args.model, trust_remote_code=True).eval()

    raw = mne.io.read_raw(args.file, preload=True, verbose="error")
    features = extractor(raw)  # every window; metadata says where each one starts
    with torch.no_grad():
        probabilities = model(**{k: features[k] for k in extractor.model_input_names}).logits.softmax(-1)
    predictions = []
    for start, p in zip(features["window_start_seconds"].tolist(), probabilities):
        label = model.config.id2label[int(p.argmax())]
        predictions.append((start, label, float(p.max())))
        print(f"{start:8.2f} s  {label:<20s} p={p.max():.3f}")
    return predictions


if __name__ == "__main__":
    main()
