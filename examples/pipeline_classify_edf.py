"""Classify every window of an EDF (or BDF, FIF, ...) recording with the "eeg-classification" pipeline.

    python examples/pipeline_classify_edf.py --model runs/face-house/model --file new_recording.edf [--hop 1.0]

The checkpoint carries the pipeline's code; its feature extractor does all the preprocessing, and the windows have
its length. Prints one line per window: onset, label, score.
"""

import argparse


def main(argv=None) -> list:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="Folder of a fine-tuned checkpoint (or a Hub id).")
    parser.add_argument("--file", required=True, help="A recording mne can read.")
    parser.add_argument("--hop", type=float, default=None, help="Seconds between window starts (default: window).")
    args = parser.parse_args(argv)

    from transformers import pipeline

    # Every saved NeurIPT checkpoint declares its pipelines (config.json, custom_pipelines) next to their code:
    # transformers runs them only with trust_remote_code=True, with or without this package installed.
    classify = pipeline("eeg-classification", model=args.model, trust_remote_code=True)
    windows = classify(args.file, hop_seconds=args.hop)
    for window in windows:
        flag = "  artifact" if window["artifact_amplitude"] or window["artifact_flat"] else ""
        print(f"{window['start']:8.2f}–{window['end']:<8.2f} s  {window['label']:<16s} p={window['score']:.3f}{flag}")
    return windows


if __name__ == "__main__":
    main()
