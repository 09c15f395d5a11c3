"""Fine-tune NeurIPT on your own EDF/BDF/FIF recordings, with labels taken from their annotations.

    python examples/finetune_own_edf.py --files rec1.edf rec2.edf --events face-upright=face house-upright=house \
        --window 1.0 --tmin -0.2 --model neuript-tiny --output runs/my-task

Each file is one subject (or pass --subjects). The script writes a recipe, runs `neuript prepare` on it (events mode:
one window per annotation, from tmin), then `neuript finetune` with a leave-one-subject-out split when there are
several subjects, a time-ordered within-subject split otherwise. The fine-tuned checkpoint lands in <output>/model.
"""

import argparse
import shutil
from pathlib import Path

import yaml


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", nargs="+", required=True, help="EEG files readable by mne (EDF, BDF, FIF, ...).")
    parser.add_argument("--subjects", nargs="*", help="Subject id per file (default: the file stem).")
    parser.add_argument("--events", nargs="+", required=True, help="annotation=label pairs, e.g. T1=left T2=right.")
    parser.add_argument("--channels", nargs="*", help="Channel names to keep (default: all EEG channels).")
    parser.add_argument("--window", type=float, default=4.0, help="Window length in seconds.")
    parser.add_argument("--tmin", type=float, default=0.0, help="Window start relative to the annotation onset (s).")
    parser.add_argument("--model", default="neuript-tiny", help="Preset or checkpoint (e.g. a pretraining export).")
    parser.add_argument("--epochs", type=float, default=5)
    parser.add_argument("--output", required=True)
    args = parser.parse_args(argv)

    from modeling_neuript.data.prepare import PrepareArguments, prepare
    from modeling_neuript.training.finetune import FinetuneArguments, FinetuneTrainingArguments, finetune

    output = Path(args.output)
    root = output / "recordings"  # one sub-<id> folder per file, the layout the recipe's pattern reads
    subjects = args.subjects or [Path(f).stem.replace("_", "") for f in args.files]
    for subject, path in zip(subjects, args.files):
        folder = root / f"sub-{subject}"
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"sub-{subject}_eeg{Path(path).suffix.lower()}"
        if not target.exists():
            shutil.copyfile(path, target)
    pairs = dict(item.split("=", 1) for item in args.events)
    label_names = list(dict.fromkeys(pairs.values()))
    recipe = {
        "name": "own-edf",
        "source": {"root": str(root), "pattern": "sub-*/*_eeg.*"},
        "channels": args.channels or "eeg",
        "preprocessing": {},
        "windows": {"mode": "events", "window_seconds": args.window, "tmin": args.tmin,
                    "events": {annotation: label_names.index(label) for annotation, label in pairs.items()}},
        "label_names": label_names,
        "cleaning": {"reject_artifacts": False},
    }
    recipe_file = output / "recipe.yaml"
    recipe_file.write_text(yaml.safe_dump(recipe))
    prepare(PrepareArguments(recipe=str(recipe_file), output_dir=str(output / "prepared")))
    split = f"loso:{subjects[-1]}" if len(set(subjects)) > 1 else "within"
    return finetune(
        FinetuneArguments(dataset=str(output / "prepared"), model=args.model, split=split),
        FinetuneTrainingArguments(output_dir=str(output / "run"), num_train_epochs=args.epochs),
    )


if __name__ == "__main__":
    main()
