"""`neuript prepare`: EEG recordings → a Hugging Face `datasets` folder of model-ready windows.

A recipe (YAML in `processing/`) says where the recordings are, which channels to use, how to cut windows (fixed
windows for pretraining, event-locked windows for labelled tasks), how to clean, and how to split. Each recording
goes through `NeurIPTFeatureExtractor` (the preprocessing contract saved with every checkpoint) and becomes one Arrow
shard, written atomically under `<output>/shards/`; a rerun skips the shards that exist, so an interrupted run resumes.
The shards are then concatenated into `<output>/` (readable with `datasets.load_from_disk`), next to the extractor's
`preprocessor_config.json` and a `manifest.json` (recipe, shard list, counts, split manifest).

Columns of the dataset:
    input_values (C × T float32), channel_positions (C × 3 float32, metres, head frame), channel_names (C str),
    label (int64, -1 when unlabelled), label_name (str), subject (str), recording (str), window_start_seconds
    (float64), artifact_amplitude (bool), artifact_flat (bool).

This module is not part of the Hub bundle; it uses mne, datasets and yaml.
"""

import glob
import json
import logging
import multiprocessing
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import numpy as np
import yaml

from modeling_neuript import resources
from modeling_neuript.feature_extraction_neuript import NeurIPTFeatureExtractor, a_law_compress
from modeling_neuript.training.checkpoints import atomic_save

logger = logging.getLogger(__name__)

COLUMNS = (
    "input_values", "channel_positions", "channel_names", "label", "label_name", "subject", "recording",
    "window_start_seconds", "artifact_amplitude", "artifact_flat",
)
READERS = {
    ".edf": "read_raw_edf", ".bdf": "read_raw_bdf", ".gdf": "read_raw_gdf", ".fif": "read_raw_fif",
    ".set": "read_raw_eeglab", ".vhdr": "read_raw_brainvision",
}


@dataclass
class PrepareArguments:
    recipe: str = field(metadata={"help": (
        "A recipe YAML (e.g. processing/face13.yaml), the name of one in processing/, or a trial file (mne -epo.fif, "
        ".npz of X, y, channel_names, sfreq; see modeling_neuript/data/trials.py).")})
    output_dir: str = field(metadata={"help": "Where the dataset folder is written."})
    root: Optional[str] = field(default=None, metadata={"help": "Data root for recipes that read files; default: the recipe's source.root."})
    num_proc: int = field(default=1, metadata={"help": "Recordings processed in parallel."})
    mode: Optional[str] = field(default=None, metadata={"help": "'pretraining' or 'events'; default: the recipe's."})
    limit_recordings: Optional[int] = field(default=None, metadata={"help": "Only the first N recordings (smoke runs); default: all."})
    chunk_minutes: float = field(default=10.0, metadata={"help": (
        "Pretraining recordings read from files and longer than this are read lazily and preprocessed in chunks of "
        "this length (bounded memory, the windows of a one-piece run); 0 = always in one piece.")})
    channel_positions: Optional[str] = field(default=None, metadata={"help": (
        "Trial files only: positions of channels without a standard name, a JSON file {name: [x, y, z]} (metres) or "
        "a montage name such as biosemi64; default: the file's own.")})


# ----------------------------------------------------------------------------------------------------------------------
# Recipes
# ----------------------------------------------------------------------------------------------------------------------


def recipe_path(name_or_path: str) -> Path:
    """A recipe YAML given by path, or by the name of one shipped in the package (`processing/<name>.yaml`)."""
    path = Path(name_or_path)
    if path.is_file():
        return path
    return resources.recipe_path(name_or_path)


def load_recipe(name_or_path: str) -> dict:
    recipe = yaml.safe_load(recipe_path(name_or_path).read_text())
    for key in ("name", "source", "windows"):
        if key not in recipe:
            raise ValueError(f"Recipe {name_or_path!r} lacks the '{key}' section (see processing/README.md).")
    return recipe


@dataclass
class RecordingSpec:
    """One recording to prepare: how to read it and who it belongs to."""

    key: str  # unique, filesystem-safe; names the shard
    subject: str
    loader: str  # "file" or a built-in loader name
    path: Optional[str] = None
    options: dict = field(default_factory=dict)


def list_recordings(recipe: dict, root: Optional[str] = None) -> list[RecordingSpec]:
    """The recordings a recipe covers, in a stable order."""
    source = recipe["source"]
    if "builtin" in source:
        name = source["builtin"]
        if name == "face13":
            return [RecordingSpec(f"sub-{s}", s, "face13", options={"subject": s}) for s in source.get("subjects", ["s01", "s02"])]
        if name == "eegmmidb_s001r02":
            return [RecordingSpec("S001R02", "S001", "eegmmidb_s001r02")]
        raise ValueError(f"Unknown built-in source {name!r}; built-ins are 'face13' and 'eegmmidb_s001r02'.")
    root = root or source.get("root")
    if root is None:
        raise ValueError(
            f"Recipe {recipe['name']!r} reads files: pass --root (the folder that holds the dataset) or set source.root."
        )
    pattern = source.get("pattern", "**/*_eeg.*")
    files = sorted(p for p in glob.glob(os.path.join(root, pattern), recursive=True) if Path(p).suffix.lower() in READERS)
    if not files:
        raise ValueError(f"No recordings match {pattern!r} under {root} (readable: {sorted(READERS)}).")
    subject_regex = re.compile(source.get("subject_regex", r"sub-([A-Za-z0-9]+)"))
    specs = []
    for path in files:
        match = subject_regex.search(path)
        subject = match.group(1) if match else Path(path).parent.name
        key = re.sub(r"[^A-Za-z0-9_.-]+", "_", os.path.relpath(path, root))
        specs.append(RecordingSpec(key, subject, "file", path=path))
    return specs


def read_recording(spec: RecordingSpec, recipe: dict, preload: bool = True):
    """An `mne.io.Raw` (volts; preloaded unless `preload=False`, which file readers honour) with annotations for the
    recipe's events."""
    import mne

    from modeling_neuript.data import sources as builtin

    if spec.loader == "face13":
        # pylossless flagged 13 (s01) / 9 (s02) channels (one reaches 19 mV): they go to info["bads"] and are skipped
        return builtin.load_face13(spec.options["subject"], mark_flagged_bads=recipe["source"].get("drop_flagged", True))
    if spec.loader == "eegmmidb_s001r02":
        return builtin.load_eegmmidb_s001r02()
    reader = getattr(mne.io, READERS[Path(spec.path).suffix.lower()])
    raw = reader(spec.path, preload=preload, verbose="error")
    events_tsv = re.sub(r"_eeg\.[a-z]+$", "_events.tsv", spec.path)
    if events_tsv != spec.path and os.path.exists(events_tsv):  # BIDS sidecar labels win over embedded annotations
        import csv

        with open(events_tsv, newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.DictReader(handle, delimiter="\t"))
        column = recipe["source"].get("events_column", "trial_type")
        raw.set_annotations(
            mne.Annotations(
                [float(r["onset"]) for r in rows], [float(r.get("duration") or 0) for r in rows],
                [r[column] for r in rows], orig_time=raw.annotations.orig_time,
            ),
            verbose="error",
        )
    if "line_freq" in recipe["source"]:
        raw.info["line_freq"] = float(recipe["source"]["line_freq"])
    return raw


def make_extractor(recipe: dict) -> NeurIPTFeatureExtractor:
    """The feature extractor a recipe asks for (paper defaults + the recipe's `preprocessing:` overrides)."""
    options = dict(recipe.get("preprocessing") or {})
    options.setdefault("window_seconds", recipe["windows"].get("window_seconds", 4.0))
    return NeurIPTFeatureExtractor(**options)


# ----------------------------------------------------------------------------------------------------------------------
# One recording → rows
# ----------------------------------------------------------------------------------------------------------------------


def select_channels(raw, recipe: dict):
    """Pick the recipe's channels: `eeg` (all good EEG channels), a list of names, or `{nearest: [10-20 names]}`
    — for each named site, the good EEG channel of the recording closest to it (how a 19-site montage is taken from a
    dense cap such as BioSemi 128)."""
    channels = recipe.get("channels", "eeg")
    if channels in ("eeg", "all", None):
        return raw.pick("eeg", exclude="bads")
    if isinstance(channels, dict) and "nearest" in channels:
        from modeling_neuript.electrodes_neuript import resolve_channel_positions

        raw = raw.pick("eeg", exclude="bads")
        have, _ = resolve_channel_positions(raw.ch_names)
        want, _ = resolve_channel_positions(channels["nearest"])
        distances = np.linalg.norm(want[:, None, :] - have[None, :, :], axis=-1)  # (sites, channels)
        chosen = []
        for row in distances:  # nearest channel not already taken, site by site
            for index in np.argsort(row):
                if index not in chosen:
                    chosen.append(int(index))
                    break
        return raw.pick([raw.ch_names[i] for i in chosen])
    missing = [c for c in channels if c not in raw.ch_names]
    if missing:
        raise ValueError(f"Recipe channels {missing} are not in the recording (it has {raw.ch_names[:10]}...).")
    return raw.pick(channels)


def continuous_microvolts(extractor: NeurIPTFeatureExtractor, raw):
    """The whole recording through the extractor's pipeline up to (not including) windowing and A-law:
    `(signal (C, N) µV at the extractor's rate, channel names, positions (C, 3))`.

    Event-locked windows are cut from this filtered continuous signal rather than filtered one by one, so short epochs
    never meet the 0.1 Hz high-pass's edge effects."""
    rate = extractor.sampling_rate
    length = int(np.floor(raw.n_times / raw.info["sfreq"] * rate)) - 1
    whole = NeurIPTFeatureExtractor(**{**extractor.to_dict(), "window_seconds": length / rate, "alaw_A": None,
                                       "window_stride_seconds": None})
    features = whole(raw, return_tensors="np")
    if features["input_values"].shape[0] != 1:
        raise RuntimeError("expected exactly one whole-recording window")  # pragma: no cover
    count = int(features["channel_mask"][0].sum())
    return features["input_values"][0, :count], features["channel_names"][0], features["channel_positions"][0, :count]


def window_rows(spec: RecordingSpec, recipe: dict, mode: str, chunk_seconds: float = 0.0) -> list[dict]:
    """All rows of one recording, cleaned as the recipe says (`iter_window_rows` as a list)."""
    return list(iter_window_rows(spec, recipe, mode, chunk_seconds))


def iter_window_rows(spec: RecordingSpec, recipe: dict, mode: str, chunk_seconds: float = 0.0):
    """The rows of one recording, cleaned as the recipe says, in time order.

    A pretraining recording read from a file and longer than `chunk_seconds` (> 0) is opened without loading it and
    goes through `NeurIPTFeatureExtractor.preprocess_in_chunks`: memory is bounded by the chunk, not the recording,
    and the windows are those of the one-piece run (same starts and flags; values within the filters' margin
    error, see that method). Event-locked windows are cut from the whole filtered recording (one piece)."""
    extractor = make_extractor(recipe)
    lazy = mode == "pretraining" and chunk_seconds > 0 and spec.loader == "file"
    raw = read_recording(spec, recipe, preload=False) if lazy else read_recording(spec, recipe)
    raw = select_channels(raw, recipe)
    cleaning = recipe.get("cleaning") or {}
    windows = recipe["windows"]
    base = {"subject": spec.subject, "recording": spec.key}
    if mode == "pretraining":
        # Durations from the sample count: `raw.times` would allocate the whole time axis (30 MB for 4 h at 256 Hz).
        last = (raw.n_times - 1) / raw.info["sfreq"]
        if last / 60 < cleaning.get("min_recording_minutes", 0):
            logger.info("skip %s: %.1f min < %s min", spec.key, last / 60, cleaning["min_recording_minutes"])
            return
        trim = 60.0 * cleaning.get("trim_minutes", 0)
        if trim:
            raw.crop(trim, last - trim)
            last = (raw.n_times - 1) / raw.info["sfreq"]
        if lazy and last > chunk_seconds:
            parts = extractor.preprocess_in_chunks(raw, chunk_seconds=chunk_seconds, margin_seconds=120.0)
        else:
            if lazy:
                raw.load_data(verbose="error")
            parts = [_unbatch(extractor(raw, return_tensors="np"))]
        for part in parts:
            for i in range(part["input_values"].shape[0]):
                amplitude, flat = bool(part["artifact_amplitude"][i]), bool(part["artifact_flat"][i])
                if cleaning.get("reject_artifacts", True) and (amplitude or flat):
                    continue
                yield {
                    **base, "input_values": part["input_values"][i], "label": -1, "label_name": "",
                    "channel_positions": part["channel_positions"], "channel_names": list(part["channel_names"]),
                    "window_start_seconds": float(part["window_start_seconds"][i]) + trim,
                    "artifact_amplitude": amplitude, "artifact_flat": flat,
                }
        return

    # event-locked windows
    import mne

    labels = windows["events"]  # {annotation description: label index}
    label_names = recipe.get("label_names") or sorted(labels, key=labels.get)
    present = {d: labels[d] for d in labels if d in set(raw.annotations.description)}
    if not present:
        return
    events, event_id = mne.events_from_annotations(raw, event_id={d: i + 1 for i, d in enumerate(present)}, verbose="error")
    code_to_description = {code: d for d, code in event_id.items()}
    signal, names, positions = continuous_microvolts(extractor, raw)
    rate = extractor.sampling_rate
    length = extractor.window_length
    tmin = float(windows.get("tmin", 0.0))
    baseline = windows.get("baseline")
    for sample, _, code in events:
        onset = (sample - raw.first_samp) / raw.info["sfreq"]
        start = int(round((onset + tmin) * rate))
        if start < 0 or start + length > signal.shape[1]:
            continue  # the window would leave the recording: never padded
        window = signal[:, start : start + length].astype(np.float64)
        if baseline is not None:
            lo = int(round((baseline[0] - tmin) * rate))
            hi = int(round((baseline[1] - tmin) * rate))
            window = window - window[:, lo:hi].mean(axis=1, keepdims=True)
        magnitude = np.abs(window)
        amplitude = bool((magnitude > extractor.artifact_threshold_uv).any())
        flat = bool((magnitude.max(axis=1) < extractor.flat_threshold_uv).any())
        if cleaning.get("reject_artifacts", False) and (amplitude or flat):
            continue
        if extractor.alaw_A is not None:
            window = a_law_compress(window, extractor.alaw_A)
        description = code_to_description[code]
        label = int(present[description])
        yield {
            **base, "input_values": window.astype(np.float32), "channel_positions": positions, "channel_names": names,
            "label": label, "label_name": label_names[label], "window_start_seconds": onset + tmin,
            "artifact_amplitude": amplitude, "artifact_flat": flat,
        }


def _unbatch(features) -> dict:
    """The extractor's batch of one recording's windows (all with the same channels) in the per-recording form of
    `preprocess_recording` / `preprocess_in_chunks`: padding columns removed, positions and names once."""
    count = int(features["channel_mask"][0].sum()) if len(features["channel_mask"]) else 0
    return {
        "input_values": features["input_values"][:, :count],
        "channel_positions": features["channel_positions"][0, :count] if count else np.zeros((0, 3), np.float32),
        "channel_names": features["channel_names"][0] if count else [],
        "window_start_seconds": features["window_start_seconds"],
        "artifact_amplitude": features["artifact_amplitude"],
        "artifact_flat": features["artifact_flat"],
    }


# ----------------------------------------------------------------------------------------------------------------------
# Shards
# ----------------------------------------------------------------------------------------------------------------------


def dataset_features():
    from datasets import Features, List, Value

    return Features({
        "input_values": List(List(Value("float32"))),
        "channel_positions": List(List(Value("float32"))),
        "channel_names": List(Value("string")),
        "label": Value("int64"),
        "label_name": Value("string"),
        "subject": Value("string"),
        "recording": Value("string"),
        "window_start_seconds": Value("float64"),
        "artifact_amplitude": Value("bool"),
        "artifact_flat": Value("bool"),
    })


def _arrow_rows(spec: RecordingSpec, recipe: dict, mode: str, chunk_seconds: float):
    """`iter_window_rows` with numpy arrays as lists (what `datasets` encodes into the list features)."""
    for row in iter_window_rows(spec, recipe, mode, chunk_seconds):
        yield {name: row[name].tolist() if isinstance(row[name], np.ndarray) else row[name] for name in COLUMNS}


def _prepare_one(job) -> tuple[str, int]:
    spec, recipe, mode, shard_dir, chunk_seconds = job
    shard = Path(shard_dir) / spec.key
    if shard.exists():
        return spec.key, -1  # done in an earlier run
    import tempfile

    from datasets import Dataset

    # Rows stream from the recording into Arrow files on disk, 100 rows per write, never all in memory at once (at
    # datasets' default of 1000 the writer's buffers alone made the peak grow with the recording's length: +17 MiB
    # from 1 h to 4 h of 8 channels; flat at 100). The generator's cache lives in a temporary folder next to the
    # shards (nothing in the home directory).
    with tempfile.TemporaryDirectory(dir=shard_dir, prefix=f".{spec.key}.rows-") as cache:
        dataset = Dataset.from_generator(
            _arrow_rows, features=dataset_features(), cache_dir=cache, writer_batch_size=100,
            gen_kwargs={"spec": spec, "recipe": recipe, "mode": mode, "chunk_seconds": chunk_seconds},
        )
        count = len(dataset)
        if not count:  # an empty Arrow folder cannot be read back: mark the recording as done-and-empty instead
            atomic_save(shard, lambda tmp: (tmp / "EMPTY").write_text("no windows after cleaning\n"))
        else:
            atomic_save(shard, lambda tmp: dataset.save_to_disk(str(tmp)))
        del dataset
    return spec.key, count


def prepare(args: PrepareArguments) -> Path:
    """Run a recipe; returns the dataset folder."""
    from datasets import concatenate_datasets, load_from_disk
    from tqdm.auto import tqdm

    recipe = load_recipe(args.recipe)
    mode = args.mode or recipe["windows"].get("mode", "pretraining")
    if mode not in ("pretraining", "events"):
        raise ValueError(f"mode must be 'pretraining' or 'events', got {mode!r}.")
    specs = list_recordings(recipe, args.root)[: args.limit_recordings]
    output = Path(args.output_dir)
    shard_dir = output / "shards"
    shard_dir.mkdir(parents=True, exist_ok=True)
    jobs = [(spec, recipe, mode, str(shard_dir), 60.0 * args.chunk_minutes) for spec in specs]
    counts = {}
    if args.num_proc > 1:
        with multiprocessing.get_context("spawn").Pool(args.num_proc) as pool:
            for key, count in tqdm(pool.imap(_prepare_one, jobs), total=len(jobs), desc="recordings"):
                counts[key] = count
    else:
        for job in tqdm(jobs, desc="recordings"):
            key, count = _prepare_one(job)
            counts[key] = count
    per_recording = {
        spec.key: None if (shard_dir / spec.key / "EMPTY").exists() else load_from_disk(str(shard_dir / spec.key))
        for spec in specs
    }
    shards = [s for s in per_recording.values() if s is not None and len(s)]
    if not shards:
        raise ValueError(f"Recipe {recipe['name']!r} produced no windows (after cleaning) from {len(specs)} recordings.")
    dataset = concatenate_datasets(shards)
    data_dir = output / "data"
    atomic_save(data_dir, lambda tmp: dataset.save_to_disk(str(tmp)))
    make_extractor(recipe).save_pretrained(output)
    manifest = {
        "recipe": recipe,
        "mode": mode,
        "recordings": [spec.key for spec in specs],
        "windows": len(dataset),
        "windows_per_recording": {key: 0 if s is None else len(s) for key, s in per_recording.items()},
        "columns": list(COLUMNS),
    }
    if mode == "events":
        manifest["label_counts"] = {str(k): int(v) for k, v in zip(*np.unique(dataset["label"], return_counts=True))}
    (output / "manifest.json").write_text(json.dumps(manifest, indent=2, default=str) + "\n")
    print(f"wrote {len(dataset)} windows from {len(specs)} recordings to {data_dir}")
    return data_dir


def prepare_recipe(
    recipe_name: str,
    sites: list,
    out: Path,
    window_seconds: Optional[float] = None,
    limit_recordings: Optional[int] = None,
) -> Path:
    """Prepare a built-in recipe (`processing/<recipe_name>.yaml`) at the scalp sites nearest to `sites` (and with
    windows of `window_seconds` when given) into `out/<recipe_name>/`, writing the adapted recipe next to it as
    `out/<recipe_name>.yaml`; an existing complete output is reused. Returns the dataset folder."""
    recipe = yaml.safe_load(recipe_path(recipe_name).read_text())
    recipe["channels"] = {"nearest": list(sites)}
    if window_seconds is not None:
        recipe["windows"]["window_seconds"] = window_seconds
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{recipe_name}.yaml"
    path.write_text(yaml.safe_dump(recipe))
    target = out / recipe_name
    if not (target / "manifest.json").exists():
        prepare(PrepareArguments(recipe=str(path), output_dir=str(target), limit_recordings=limit_recordings))
    return target


def run_prepare(args: PrepareArguments) -> int:
    from modeling_neuript.data.trials import is_trial_file, prepare_trials

    if is_trial_file(args.recipe):  # epoched data: the trials path (data/trials.py), not a recipe
        prepare_trials(args.recipe, args.output_dir, args.channel_positions)
        print(f"wrote the trials of {args.recipe} to {args.output_dir}")
        return 0
    prepare(args)
    return 0
