"""Train NeurIPT with braindecode's `EEGClassifier` (skorch) on event-locked windows of your own recording.

    python examples/braindecode_classifier.py --file rec.edf --events face-upright=face house-upright=house \
        --channels A15 A28 B7 B26 --window 1.0 --tmin -0.2 --model runs/pt/model --epochs 10 --output runs/bd

The recording is preprocessed by NeurIPT's contract as one piece (filters, 64 Hz), windows are cut around the
annotations and handed to braindecode in volts, as its windows datasets hold them; `NeurIPTBraindecode` converts to
µV and A-law inside `forward`. The first 80 % of the trials (in time) train, the rest test. With `--output`, the trained
network is saved as a NeurIPT checkpoint (`save_pretrained` + the feature extractor), loadable with the Auto classes.
"""

import argparse


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", required=True, help="A recording mne can read, with annotations.")
    parser.add_argument("--events", nargs="+", required=True, help="annotation=label pairs, e.g. T1=left T2=right.")
    parser.add_argument("--channels", nargs="*", help="Channels to keep (default: all EEG channels).")
    parser.add_argument("--window", type=float, default=1.0, help="Window length, seconds.")
    parser.add_argument("--tmin", type=float, default=0.0, help="Window start relative to the annotation, seconds.")
    parser.add_argument("--model", default="neuript-tiny", help="Preset (random init) or NeurIPT checkpoint folder.")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--max-trials", type=int, default=None, help="Use only the first N trials (quick runs).")
    parser.add_argument("--output", default=None, help="Folder for the trained NeurIPT checkpoint.")
    args = parser.parse_args(argv)

    import mne
    import numpy as np
    import torch
    from sklearn.metrics import balanced_accuracy_score

    from modeling_neuript import NeurIPTFeatureExtractor
    from modeling_neuript.data.event_windows import event_windows
    from modeling_neuript.interop.braindecode_support import import_braindecode

    # braindecode imports torchaudio; where none matches this torch, a stand-in (never called by what we use)
    EEGClassifier = import_braindecode(allow_torchaudio_stand_in=True).EEGClassifier
    from modeling_neuript.interop.braindecode_model import NeurIPTBraindecode
    raw = mne.io.read_raw(args.file, preload=False, verbose="error")
    if args.channels:
        raw.pick(args.channels)
    raw.load_data(verbose="error")
    extractor = NeurIPTFeatureExtractor(window_seconds=args.window)  # saved with the model: the windows it learns
    windows = event_windows(raw, dict(item.split("=", 1) for item in args.events), tmin=args.tmin,
                            window_seconds=args.window, extractor=extractor, companded=False)
    X = windows["input_values"][: args.max_trials] * np.float32(1e-6)  # volts
    y = windows["labels"][: args.max_trials]
    cut = int(0.8 * len(X))
    torch.manual_seed(0)
    module = NeurIPTBraindecode.from_neuript(args.model, chs_info=raw.info["chs"], n_times=X.shape[-1],
                                             n_outputs=len(windows["label_names"]))
    clf = EEGClassifier(module, max_epochs=args.epochs, lr=args.lr, batch_size=args.batch_size, train_split=None,
                        optimizer=torch.optim.AdamW, iterator_train__shuffle=True, verbose=1)
    clf.fit(X[:cut], y[:cut])
    predicted = clf.predict(X[cut:])
    score = balanced_accuracy_score(y[cut:], predicted)
    print(f"{len(X) - cut} test trials ({windows['label_names']}): balanced accuracy {score:.3f}")
    if args.output:
        from modeling_neuript.training.checkpoints import save_checkpoint

        classifier = module.to_neuript()
        classifier.config.window_seconds = args.window  # the window length it was trained on, as the extractor's
        classifier.config.sampling_rate = extractor.sampling_rate
        classifier.config.id2label = dict(enumerate(windows["label_names"]))
        classifier.config.label2id = {name: i for i, name in enumerate(windows["label_names"])}
        save_checkpoint(classifier, extractor, args.output)
        print(f"saved a NeurIPT checkpoint to {args.output}")
    return {"balanced_accuracy": score, "train_loss": list(clf.history[:, "train_loss"]), "test_size": len(X) - cut,
            "predictions": predicted}


if __name__ == "__main__":
    main()
