"""A scikit-learn linear probe on frozen NeurIPT features: `Pipeline(NeurIPTEmbedder, StandardScaler,
LogisticRegression)` with time-ordered cross-validation on event-locked windows of your recording.

    python examples/sklearn_linear_probe.py --file rec.edf --events face-upright=face house-upright=house \
        --channels A15 A28 B7 B26 --window 1.0 --tmin -0.2 --model runs/pt/model

`NeurIPTEmbedder` is an ordinary sklearn transformer (`fit`/`transform`, `get_params`/`set_params`, clone-able), so
`cross_val_score`, `GridSearchCV` and friends work unchanged. Folds are contiguous in time (`KFold` without shuffling):
neighbouring trials never sit on both sides of a split.
"""

import argparse


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", required=True, help="A recording mne can read, with annotations.")
    parser.add_argument("--events", nargs="+", required=True, help="annotation=label pairs.")
    parser.add_argument("--channels", nargs="*", help="Channels to keep (default: all EEG channels).")
    parser.add_argument("--window", type=float, default=1.0)
    parser.add_argument("--tmin", type=float, default=0.0)
    parser.add_argument("--model", default="neuript-tiny", help="NeurIPT checkpoint folder or preset.")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--C", type=float, default=0.01, help="Inverse regularisation of the logistic regression.")
    parser.add_argument("--max-trials", type=int, default=None)
    args = parser.parse_args(argv)

    import mne
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import KFold, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from modeling_neuript.data.event_windows import event_windows
    from modeling_neuript.interop.sklearn_embedder import NeurIPTEmbedder

    raw = mne.io.read_raw(args.file, preload=False, verbose="error")
    if args.channels:
        raw.pick(args.channels)
    raw.load_data(verbose="error")
    windows = event_windows(raw, dict(item.split("=", 1) for item in args.events), tmin=args.tmin,
                            window_seconds=args.window)
    X, y = windows["input_values"][: args.max_trials], windows["labels"][: args.max_trials]
    probe = make_pipeline(NeurIPTEmbedder(args.model, channel_names=windows["channel_names"]), StandardScaler(),
                          LogisticRegression(C=args.C, max_iter=2000))
    scores = cross_val_score(probe, X, y, cv=KFold(args.folds, shuffle=False), scoring="balanced_accuracy")
    print(f"{len(X)} trials, {args.folds} time-ordered folds: balanced accuracy {scores.mean():.3f} ± {scores.std():.3f}")
    return {"scores": scores, "trials": len(X), "labels": windows["label_names"]}


if __name__ == "__main__":
    main()
