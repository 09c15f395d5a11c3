"""Trials in, without detours: epoched EEG (`mne.Epochs` saved as `-epo.fif`, or arrays with labels in an `.npz`)
→ the same prepared dataset `neuript prepare` writes for continuous recordings, ready for `neuript finetune` and
`neuript benchmark` (both also take the trial file directly and prepare it on the way).

    neuript prepare --recipe my_trials-epo.fif --output_dir prepared/mine
    neuript finetune --dataset my_trials.npz --split given --output_dir runs/mine
    neuript benchmark --dataset my_trials.npz --split given

Inputs:

- `-epo.fif` (`mne.read_epochs`): labels from the epochs' event names (`event_id`), channel names, rate and positions
  (its montage) from `info`, volts. Optional `epochs.metadata` columns `subject` (whose trial it is) and `split`
  (`train` / `test`: a given assignment, e.g. a competition's).
- `.npz` (`numpy.savez`): `X` (or `data`) `(trials, channels, samples)`; `y` (or `labels`) `(trials,)` class names or
  integers; `channel_names` (or `ch_names`); `sfreq` (or `sampling_rate`); optional `units` (default `"V"`; `"uV"`
  for µV), `label_names` (names of integer labels), `subject` `(trials,)`, `split` `(trials,)` of `train`/`test`,
  `onset_seconds` `(trials,)` (when trials were recorded; default: the file's order is their time order),
  `channel_positions` `(channels, 3)` metres in MNE's head frame.

Channels without a standard name (e.g. a lab's own `E12`) need positions: `channel_positions` as a JSON file
`{name: [x, y, z]}` (metres, MNE head frame), an `.npz` key, the epochs' montage, or a built-in montage name
(`biosemi64`, ...). A name without a position is an error that lists the missing names.

What the trials path does to each trial — and what it does not. A continuous recording gets the paper's 0.1 Hz
high-pass before it is cut into windows; a trial cannot: filtering a 0.5 s trial on its own with a 0.1 Hz high-pass
tapers it (its edges pulled towards zero). So trials are kept intact: **no high-pass**; each channel's mean over the
trial (or over `baseline`, seconds relative to the trial's `tmin`-based time axis, when given) is subtracted; the
extractor's low-pass (30 Hz) and power-line notch run forward-backward with reflected ends (their impulse responses
last a few samples, so the ends are not tapered); then resampling to 64 Hz and A-law, as for any window. The saved
`preprocessor_config.json` says so (`l_freq: null`, `window_seconds` = the trial length), so the fine-tuned
checkpoint preprocesses new trials the same way. Trials from 0.5 s up are accepted; every trial of a file must have
the same length.
"""

import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

logger = logging.getLogger(__name__)

TRIAL_SUFFIXES = ("-epo.fif", "_epo.fif", "-epo.fif.gz", "_epo.fif.gz", ".npz")
MIN_TRIAL_SECONDS = 0.5
FOLDS = ("train", "test")


def is_trial_file(path) -> bool:
    """Whether `path` is an epochs file this module reads (`-epo.fif`, `_epo.fif`, `.npz`)."""
    name = str(path).lower()
    return os.path.isfile(path) and name.endswith(TRIAL_SUFFIXES)


@dataclass
class Trials:
    """Epoched EEG as read from a file: `data` `(trials, channels, samples)` in `units`, one label name per trial."""

    data: np.ndarray
    sampling_rate: float
    channel_names: list
    labels: list  # class name per trial
    label_names: list  # the classes, in index order
    units: str = "V"
    subjects: Optional[list] = None
    folds: Optional[list] = None  # "train" / "test" per trial, or None
    onsets: Optional[np.ndarray] = None  # seconds, per trial
    tmin: float = 0.0
    positions: Optional[dict] = None  # {name: [x, y, z]} from the file
    line_freq: Optional[float] = None
    source: str = ""
    extra: dict = field(default_factory=dict)


# ----------------------------------------------------------------------------------------------------------------------
# Readers
# ----------------------------------------------------------------------------------------------------------------------


def _class_order(labels: Sequence) -> list:
    """Class names in a stable order: sorted (numbers numerically)."""
    unique = list(dict.fromkeys(labels))
    try:
        return sorted(unique, key=float)
    except (TypeError, ValueError):
        return sorted(unique, key=str)


def _per_trial(values, count: int, what: str, allowed: Optional[Sequence] = None) -> Optional[list]:
    if values is None:
        return None
    values = [str(v) for v in np.asarray(values).reshape(-1).tolist()]
    if len(values) != count:
        raise ValueError(f"{what} has {len(values)} entries for {count} trials: give one per trial.")
    if allowed is not None:
        wrong = sorted(set(values) - set(allowed))
        if wrong:
            raise ValueError(f"{what} may hold only {list(allowed)}; it also holds {wrong}.")
    return values


def read_npz(path) -> Trials:
    """Trials from an `.npz` (keys in the module docstring)."""
    with np.load(path, allow_pickle=False) as archive:
        keys = set(archive.files)

        def pick(*names, required=True):
            for name in names:
                if name in keys:
                    return archive[name]
            if required:
                raise ValueError(f"{path} has no {' or '.join(names)!r} array (it holds {sorted(keys)}); see "
                                 "modeling_neuript/data/trials.py for the keys a trial file needs.")
            return None

        data = np.asarray(pick("X", "data"), dtype=np.float64)
        labels = pick("y", "labels")
        names = [str(n) for n in pick("channel_names", "ch_names").tolist()]
        rate = float(np.asarray(pick("sfreq", "sampling_rate")).reshape(-1)[0])
        units = str(np.asarray(pick("units", required=False) if "units" in keys else "V").reshape(-1)[0])
        label_names = pick("label_names", required=False)
        subjects, folds = pick("subject", required=False), pick("split", required=False)
        onsets = pick("onset_seconds", required=False)
        positions = pick("channel_positions", required=False)
        tmin = pick("tmin", required=False)
    if data.ndim != 3:
        raise ValueError(f"{path}: X must be (trials, channels, samples), got shape {data.shape}.")
    labels = np.asarray(labels).reshape(-1)
    if len(labels) != len(data):
        raise ValueError(f"{path}: {len(labels)} labels for {len(data)} trials: give one label per trial.")
    if label_names is not None:
        label_names = [str(n) for n in np.asarray(label_names).reshape(-1).tolist()]
        if labels.dtype.kind not in "iu" or labels.min() < 0 or labels.max() >= len(label_names):
            raise ValueError(f"{path}: with label_names, y must hold integers 0..{len(label_names) - 1}.")
        labels = [label_names[int(i)] for i in labels]
    else:
        labels = [str(v) for v in labels.tolist()]
        label_names = _class_order(labels)
    if positions is not None:
        positions = np.asarray(positions, dtype=np.float64)
        if positions.shape != (len(names), 3):
            raise ValueError(f"{path}: channel_positions must be (channels, 3) = ({len(names)}, 3) metres, "
                             f"got {positions.shape}.")
        positions = {name: [float(v) for v in xyz] for name, xyz in zip(names, positions)}
    return Trials(
        data=data, sampling_rate=rate, channel_names=names, labels=labels, label_names=label_names, units=units,
        subjects=_per_trial(subjects, len(data), "subject"), folds=_per_trial(folds, len(data), "split", FOLDS),
        onsets=None if onsets is None else np.asarray(onsets, dtype=np.float64).reshape(-1),
        tmin=0.0 if tmin is None else float(np.asarray(tmin).reshape(-1)[0]), positions=positions,
        source=str(path),
    )


def read_epochs(path_or_epochs) -> Trials:
    """Trials from an `mne.Epochs` (or a `-epo.fif` path): EEG channels that are not bad, volts, labels from the
    event names."""
    import mne

    epochs = path_or_epochs
    if not hasattr(epochs, "get_data"):
        epochs = mne.read_epochs(str(path_or_epochs), preload=True, verbose="error")
    epochs = epochs.copy().pick("eeg", exclude="bads")
    code_to_name = {code: name for name, code in epochs.event_id.items()}
    labels = [code_to_name[int(code)] for code in epochs.events[:, 2]]
    metadata = epochs.metadata
    column = lambda name: None if metadata is None or name not in metadata else metadata[name].to_numpy()
    montage = epochs.get_montage()
    positions = None
    if montage is not None:
        from modeling_neuript.electrodes_neuript import positions_from_montage

        positions = {n: list(xyz) for n, xyz in positions_from_montage(montage).items()
                     if n in epochs.ch_names and any(abs(v) > 0 for v in xyz)} or None
    first = epochs.events[:, 0].astype(np.float64) / epochs.info["sfreq"]
    return Trials(
        data=epochs.get_data(), sampling_rate=float(epochs.info["sfreq"]), channel_names=list(epochs.ch_names),
        labels=labels, label_names=_class_order(labels) if not epochs.event_id else
        [n for n, _ in sorted(epochs.event_id.items(), key=lambda item: item[1]) if n in set(labels)],
        units="V", subjects=_per_trial(column("subject"), len(labels), "metadata['subject']"),
        folds=_per_trial(column("split"), len(labels), "metadata['split']", FOLDS), onsets=first,
        tmin=float(epochs.tmin), positions=positions, line_freq=epochs.info.get("line_freq"),
        source=str(getattr(path_or_epochs, "filename", None) or path_or_epochs),
    )


def read_trials(path) -> Trials:
    """`read_epochs` or `read_npz` by the file's name."""
    name = str(path).lower()
    if name.endswith(".npz"):
        return read_npz(path)
    if name.endswith(TRIAL_SUFFIXES):
        return read_epochs(path)
    raise ValueError(f"{path} is not a trial file: give an mne epochs file (-epo.fif) or an .npz of trials.")


def load_positions(spec) -> Optional[object]:
    """`channel_positions` as given on the command line: None, a JSON file `{name: [x, y, z]}` (metres), or a
    built-in montage name (returned as is)."""
    if spec is None or isinstance(spec, dict):
        return spec
    if os.path.isfile(spec):
        positions = json.loads(Path(spec).read_text())
        if not isinstance(positions, dict) or any(len(v) != 3 for v in positions.values()):
            raise ValueError(f"{spec} must hold {{name: [x, y, z]}} in metres (MNE head frame).")
        return {str(k): [float(x) for x in v] for k, v in positions.items()}
    return str(spec)


# ----------------------------------------------------------------------------------------------------------------------
# Trials → model windows
# ----------------------------------------------------------------------------------------------------------------------


def trial_extractor(trials: Trials, base=None):
    """The feature extractor of the trials path (see the module docstring): the paper's contract without the
    high-pass, one window = one whole trial (its length at 64 Hz, rounded down)."""
    from modeling_neuript.feature_extraction_neuript import NeurIPTFeatureExtractor

    base = base or NeurIPTFeatureExtractor()
    seconds = trials.data.shape[-1] / trials.sampling_rate
    if seconds < MIN_TRIAL_SECONDS - 1e-9:
        raise ValueError(f"The trials last {seconds:.3f} s; the shortest the model takes is {MIN_TRIAL_SECONDS} s "
                         f"({int(MIN_TRIAL_SECONDS * base.sampling_rate)} samples at {base.sampling_rate} Hz).")
    samples = int(np.floor(seconds * base.sampling_rate + 1e-6))
    return NeurIPTFeatureExtractor(**{**base.to_dict(), "l_freq": None, "window_seconds": samples / base.sampling_rate,
                                      "window_stride_seconds": None})


def trial_windows(trials: Trials, channel_positions=None, baseline: Optional[Sequence[float]] = None) -> dict:
    """Every trial through the trials path: `input_values` `(N, C, T)` float32 (A-law companded), `channel_names`,
    `channel_positions` `(C, 3)`, `artifact_amplitude` / `artifact_flat` `(N,)`, and the extractor used."""
    from modeling_neuript.feature_extraction_neuript import a_law_compress

    extractor = trial_extractor(trials)
    microvolt_extractor = type(extractor)(**{**extractor.to_dict(), "alaw_A": None})
    positions = load_positions(channel_positions)
    if trials.positions and not isinstance(positions, str):
        positions = {**trials.positions, **(positions or {})}
    features = microvolt_extractor(
        list(trials.data), channel_names=trials.channel_names, sampling_rate=trials.sampling_rate, units=trials.units,
        channel_positions=positions, line_freq=trials.line_freq, return_tensors="np",
    )
    if len(features["input_values"]) != len(trials.data):  # pragma: no cover - one window per trial by construction
        raise RuntimeError("expected one window per trial")
    values = np.asarray(features["input_values"], dtype=np.float64)
    count = int(features["channel_mask"][0].sum())
    values = values[:, :count]
    if baseline is not None:
        low, high = (int(round((b - trials.tmin) * extractor.sampling_rate)) for b in baseline)
        if not 0 <= low < high <= values.shape[-1]:
            raise ValueError(f"baseline {list(baseline)} s is outside the trials ({trials.tmin:g} s to "
                             f"{trials.tmin + values.shape[-1] / extractor.sampling_rate:g} s).")
        values = values - values[..., low:high].mean(axis=-1, keepdims=True)
    magnitude = np.abs(values)
    amplitude = (magnitude > extractor.artifact_threshold_uv).any(axis=(1, 2))
    flat = (magnitude.max(axis=2) < extractor.flat_threshold_uv).any(axis=1)
    if extractor.alaw_A is not None:
        values = a_law_compress(values, extractor.alaw_A)
    return {"input_values": values.astype(np.float32), "channel_names": list(features["channel_names"][0]),
            "channel_positions": np.asarray(features["channel_positions"][0, :count], dtype=np.float32),
            "artifact_amplitude": amplitude, "artifact_flat": flat, "extractor": extractor}


def trial_dataset_features():
    """The prepared dataset's columns plus `fold` (`train`, `test` or `""`: a given split assignment)."""
    from datasets import Value

    from modeling_neuript.data.prepare import dataset_features

    features = dataset_features()
    features["fold"] = Value("string")
    return features


def prepare_trials(path, output_dir, channel_positions=None, baseline: Optional[Sequence[float]] = None,
                   subject: Optional[str] = None) -> Path:
    """Write the prepared dataset of a trial file into `output_dir` (`data/`, `preprocessor_config.json`,
    `manifest.json`) and return `output_dir`. `subject` names the trials' subject when the file does not."""
    from datasets import Dataset

    from modeling_neuript.training.checkpoints import atomic_save

    trials = read_trials(path)
    windows = trial_windows(trials, channel_positions, baseline)
    count = len(trials.labels)
    subjects = trials.subjects or [subject or Path(str(path)).name.split(".")[0]] * count
    onsets = trials.onsets if trials.onsets is not None else np.arange(count, dtype=np.float64)
    index = {name: i for i, name in enumerate(trials.label_names)}
    rows = {
        "input_values": list(windows["input_values"]),
        "channel_positions": [windows["channel_positions"]] * count,
        "channel_names": [windows["channel_names"]] * count,
        "label": [index[label] for label in trials.labels],
        "label_name": list(trials.labels),
        "subject": subjects,
        "recording": [Path(str(path)).name] * count,
        "window_start_seconds": [float(t) + trials.tmin for t in onsets],
        "artifact_amplitude": windows["artifact_amplitude"].tolist(),
        "artifact_flat": windows["artifact_flat"].tolist(),
        "fold": trials.folds or [""] * count,
    }
    dataset = Dataset.from_dict(rows, features=trial_dataset_features())
    output = Path(output_dir)
    output.mkdir(parents=True, exist_ok=True)
    atomic_save(output / "data", lambda tmp: dataset.save_to_disk(str(tmp)))
    windows["extractor"].save_pretrained(output)
    label_counts = {str(i): trials.labels.count(name) for name, i in index.items()}
    manifest = {
        "recipe": {"name": Path(str(path)).name, "source": {"trials": str(path)},
                   "windows": {"mode": "events", "events": index, "tmin": trials.tmin},
                   "label_names": list(trials.label_names), "tasks": {}},
        "mode": "events",
        "recordings": [Path(str(path)).name],
        "windows": count,
        "windows_per_recording": {Path(str(path)).name: count},
        "columns": list(rows),
        "label_counts": label_counts,
        "trials": {
            "path": "trials (no 0.1 Hz high-pass; per-trial mean or baseline removed; 30 Hz low-pass and notch with "
                    "reflected ends; 64 Hz; A-law)",
            "source_rate": trials.sampling_rate, "source_samples": int(trials.data.shape[-1]),
            "window_samples": int(windows["input_values"].shape[-1]), "baseline": None if baseline is None else list(baseline),
            "given_split": trials.folds is not None, "subjects": sorted(set(subjects)),
        },
    }
    (output / "manifest.json").write_text(json.dumps(manifest, indent=2, default=str) + "\n")
    logger.info("wrote %d trials of %s (%d classes) to %s", count, path, len(trials.label_names), output)
    return output


def ensure_prepared(dataset, output_dir, channel_positions=None, baseline=None) -> str:
    """`dataset` itself when it is a prepared folder; for a trial file, prepare it into `<output_dir>/prepared`
    (reused when already there) and return that folder."""
    if not is_trial_file(dataset):
        return str(dataset)
    target = Path(output_dir) / "prepared"
    if not (target / "manifest.json").exists():
        prepare_trials(dataset, target, channel_positions, baseline)
    return str(target)


__all__ = ["Trials", "ensure_prepared", "is_trial_file", "prepare_trials", "read_epochs", "read_npz", "read_trials",
           "trial_extractor", "trial_windows"]
