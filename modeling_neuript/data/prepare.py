"""`neuript prepare`: EEG recordings → a Hugging Face `datasets` folder of model-ready windows.

A recipe (YAML in `processing/`) says where the recordings are, which channels to use, how to cut windows (fixed
windows for pretraining, event-locked windows for labelled tasks), how to clean, and how to split. Each recording
goes through `NeurIPTFeatureExtractor` (the preprocessing contract saved with every checkpoint) and becomes one Arrow
shard, written atomically under `<output>/shards/`; a rerun skips the shards that exist (and whose file is unchanged),
so an interrupted run resumes. The shards are then concatenated into `<output>/` (readable with
`datasets.load_from_disk`), next to the extractor's `preprocessor_config.json` and a `manifest.json` (recipe, shard
list, counts, skipped recordings, the settings that made the folder).

Nothing is silently different: a recording that cannot give windows (unreadable, truncated, too short, flat, NaN
samples, unknown channels, units that are not EEG's, no windows left after cleaning) is skipped and listed in the
manifest's `skipped` with the reason and the fix, and the run fails only when no recording is left (or with
`--strict`, when any is skipped). An output folder remembers the settings that made it and refuses a run with other
settings unless `--overwrite` rebuilds it.

Columns of the dataset:
    input_values (C × T float32), channel_positions (C × 3 float32, metres, head frame), channel_names (C str),
    label (int64, -1 when unlabelled), label_name (str), subject (str), recording (str), window_start_seconds
    (float64), artifact_amplitude (bool), artifact_flat (bool).

This module is not part of the Hub bundle; it uses mne, datasets and yaml.
"""

import glob
import hashlib
import json
import logging
import multiprocessing
import os
import re
import shutil
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Sequence

import numpy as np
import yaml

from modeling_neuript import resources
from modeling_neuript.feature_extraction_neuript import (
    NeurIPTFeatureExtractor,
    UnitsWarning,
    a_law_compress,
    a_law_expand,
)
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
    strict: bool = field(default=False, metadata={"help": (
        "Fail when any recording is skipped (unreadable, truncated, too short, flat, ...); by default skipped "
        "recordings are listed in manifest.json and the run fails only when none is left.")})
    overwrite: bool = field(default=False, metadata={"help": (
        "Rebuild output_dir when it was prepared with other settings (its shards, data and manifest are deleted); "
        "by default such a folder is refused.")})
    channel_positions: Optional[str] = field(default=None, metadata={"help": (
        "Trial files only: positions of channels without a standard name, a JSON file {name: [x, y, z]} (metres) or "
        "a montage name such as biosemi64; default: the file's own.")})


class RecordingSkipped(ValueError):
    """A recording that gives no windows, with the reason and the fix (listed in the manifest's `skipped`)."""


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
    return _unique_keys(specs, root)


def _unique_keys(specs: list[RecordingSpec], root: str) -> list[RecordingSpec]:
    """Make shard keys unique: `a b_eeg.edf` and `a_b_eeg.edf` (or `A.edf` and `a.edf` on a case-insensitive disk)
    both clean to one key; each of them then gets a short hash of its relative path, so no recording overwrites
    another's shard."""
    groups: dict[str, list[RecordingSpec]] = {}
    for spec in specs:
        groups.setdefault(spec.key.lower(), []).append(spec)
    for group in groups.values():
        if len(group) > 1:
            for spec in group:
                digest = hashlib.sha1(os.path.relpath(spec.path, root).encode("utf-8")).hexdigest()[:8]
                spec.key = f"{spec.key}~{digest}"
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
    raw = open_recording_file(spec.path, preload)
    events_tsv = re.sub(r"_eeg\.[a-z]+$", "_events.tsv", spec.path)
    if events_tsv != spec.path and os.path.exists(events_tsv):  # BIDS sidecar labels win over embedded annotations
        import csv

        with open(events_tsv, newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.DictReader(handle, delimiter="\t"))
        column = recipe["source"].get("events_column", "trial_type")
        if rows and column not in rows[0]:
            raise RecordingSkipped(
                f"its events sidecar {events_tsv} has no column {column!r} (columns: {sorted(rows[0])}); set the "
                "recipe's source.events_column"
            )
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


# mne's EDF/BDF reader warns (and reads what is there) when the file is shorter than its header says.
TRUNCATION_WARNING = "does not match the file size"


def open_recording_file(path: str, preload: bool):
    """`mne.io.read_raw_*` of one file, refusing what mne would read wrongly or not at all: a file it cannot parse
    (renamed PNG or text, cut header) and a truncated one (mne warns and reads the part that is there) raise
    `RecordingSkipped` naming the problem; mne's other warnings are logged with the file's path."""
    import mne

    reader = getattr(mne.io, READERS[Path(path).suffix.lower()])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            raw = reader(path, preload=preload, verbose="warning")
        except Exception as error:  # a corrupt file fails in any of mne's parsers, with any exception type
            raise RecordingSkipped(
                f"unreadable by mne.io.{reader.__name__} ({type(error).__name__}: {error}); the file is not a valid "
                f"{Path(path).suffix} recording (renamed, or damaged in a copy): re-export or re-copy it, or remove it"
            ) from error
    for warning in caught:
        message = str(warning.message)
        if TRUNCATION_WARNING in message:
            raise RecordingSkipped(
                f"truncated: mne says \"{message}\"; the file holds less data than its header promises (an "
                "interrupted copy or recording). Re-copy it; if the shorter length is intended, fix the header's "
                "number of data records"
            )
        logger.warning("%s: %s", path, message)
    return raw


def recording_units(recipe: dict) -> Optional[str]:
    """`source.units` of a recipe: the units the files' samples really are in when their headers mislabel them (a GDF
    of µV samples labelled volts: `units: uV`); None = trust the headers (mne reads volts)."""
    units = recipe["source"].get("units")
    if units is not None:
        from modeling_neuript.feature_extraction_neuript import UNITS_TO_MICROVOLTS

        if units not in UNITS_TO_MICROVOLTS:
            raise ValueError(f"Recipe {recipe['name']!r}: source.units must be one of {list(UNITS_TO_MICROVOLTS)}, "
                             f"got {units!r}.")
    return units


def make_extractor(recipe: dict) -> NeurIPTFeatureExtractor:
    """The feature extractor a recipe asks for (paper defaults + the recipe's `preprocessing:` overrides)."""
    options = dict(recipe.get("preprocessing") or {})
    if "units" in options:
        raise ValueError(
            f"Recipe {recipe['name']!r} sets preprocessing.units = {options['units']!r}, which would only describe "
            "array inputs: recipes read files through mne, which converts the samples to volts with the units in each "
            "file's header. If the headers mislabel them (µV samples labelled volts), set source.units: "
            f"{options['units']} instead (see processing/README.md)."
        )
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


def continuous_microvolts(extractor: NeurIPTFeatureExtractor, raw, units: Optional[str] = None):
    """The whole recording through the extractor's pipeline up to (not including) windowing and A-law:
    `(signal (C, N) µV at the extractor's rate, channel names, positions (C, 3))`.

    Event-locked windows are cut from this filtered continuous signal rather than filtered one by one, so short epochs
    never meet the 0.1 Hz high-pass's edge effects."""
    rate = extractor.sampling_rate
    length = int(np.floor(raw.n_times / raw.info["sfreq"] * rate)) - 1
    whole = NeurIPTFeatureExtractor(**{**extractor.to_dict(), "window_seconds": length / rate, "alaw_A": None,
                                       "window_stride_seconds": None})
    features = whole(raw, units=units, return_tensors="np")
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
    error, see that method). Event-locked windows are cut from the whole filtered recording (one piece).

    A recording that cannot give windows raises `RecordingSkipped` (a `ValueError`) with the reason and the fix: too
    short for the recipe, none of its events annotated, a channel flat from start to end, or no window left after
    cleaning; `neuript prepare` lists it in the manifest and goes on."""
    extractor = make_extractor(recipe)
    units = recording_units(recipe)
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
            raise RecordingSkipped(
                f"too short: {last / 60:.2f} min, below the recipe's cleaning.min_recording_minutes = "
                f"{cleaning['min_recording_minutes']} (the paper's 5-minute rule); lower it to keep such recordings"
            )
        trim = 60.0 * cleaning.get("trim_minutes", 0)
        if trim and last <= 2 * trim:
            raise RecordingSkipped(
                f"too short: {last / 60:.2f} min, no longer than the {2 * trim / 60:g} min that cleaning.trim_minutes "
                "removes (both ends); lower trim_minutes or set min_recording_minutes above twice it"
            )
        if trim:
            raw.crop(trim, last - trim)
            last = (raw.n_times - 1) / raw.info["sfreq"]
        if lazy and last > chunk_seconds:
            parts = extractor.preprocess_in_chunks(raw, units=units, chunk_seconds=chunk_seconds, margin_seconds=120.0)
        else:
            if lazy:
                raw.load_data(verbose="error")
            parts = [_unbatch(extractor(raw, units=units, return_tensors="np"))]
        tally = WindowTally(extractor)
        for part in parts:
            tally.add_peaks(part["input_values"], part["channel_names"], companded=True)
            for i in range(part["input_values"].shape[0]):
                amplitude, flat = bool(part["artifact_amplitude"][i]), bool(part["artifact_flat"][i])
                tally.add_window(amplitude, flat)
                if cleaning.get("reject_artifacts", True) and (amplitude or flat):
                    continue
                tally.kept += 1
                yield {
                    **base, "input_values": part["input_values"][i], "label": -1, "label_name": "",
                    "channel_positions": part["channel_positions"], "channel_names": list(part["channel_names"]),
                    "window_start_seconds": float(part["window_start_seconds"][i]) + trim,
                    "artifact_amplitude": amplitude, "artifact_flat": flat,
                }
        tally.check()
        return

    # event-locked windows
    import mne

    labels = windows["events"]  # {annotation description: label index}
    label_names = recipe.get("label_names") or sorted(labels, key=labels.get)
    present = {d: labels[d] for d in labels if d in set(raw.annotations.description)}
    if not present:
        found = sorted(set(raw.annotations.description))
        raise RecordingSkipped(
            f"none of the recipe's events {sorted(labels)} is annotated in it (its annotations: {found[:12]}"
            f"{'...' if len(found) > 12 else ''}); check windows.events or the events sidecar"
        )
    events, event_id = mne.events_from_annotations(raw, event_id={d: i + 1 for i, d in enumerate(present)}, verbose="error")
    code_to_description = {code: d for d, code in event_id.items()}
    signal, names, positions = continuous_microvolts(extractor, raw, units)
    tally = WindowTally(extractor)
    tally.add_peaks(signal[None], names, companded=False)
    tally.check_channels()
    rate = extractor.sampling_rate
    length = extractor.window_length
    tmin = float(windows.get("tmin", 0.0))
    baseline = windows.get("baseline")
    for sample, _, code in events:
        onset = (sample - raw.first_samp) / raw.info["sfreq"]
        start = int(round((onset + tmin) * rate))
        if start < 0 or start + length > signal.shape[1]:
            tally.outside += 1
            continue  # the window would leave the recording: never padded
        window = signal[:, start : start + length].astype(np.float64)
        if baseline is not None:
            lo = int(round((baseline[0] - tmin) * rate))
            hi = int(round((baseline[1] - tmin) * rate))
            window = window - window[:, lo:hi].mean(axis=1, keepdims=True)
        magnitude = np.abs(window)
        amplitude = bool((magnitude > extractor.artifact_threshold_uv).any())
        flat = bool((magnitude.max(axis=1) < extractor.flat_threshold_uv).any())
        tally.add_window(amplitude, flat)
        if cleaning.get("reject_artifacts", False) and (amplitude or flat):
            continue
        tally.kept += 1
        if extractor.alaw_A is not None:
            window = a_law_compress(window, extractor.alaw_A)
        description = code_to_description[code]
        label = int(present[description])
        yield {
            **base, "input_values": window.astype(np.float32), "channel_positions": positions, "channel_names": names,
            "label": label, "label_name": label_names[label], "window_start_seconds": onset + tmin,
            "artifact_amplitude": amplitude, "artifact_flat": flat,
        }
    tally.check()


class WindowTally:
    """What one recording's windows looked like, to say why it gave none (or that some channel was dead all along):
    windows seen, flagged, kept, left out at the recording's edges, and each channel's peak over the recording."""

    def __init__(self, extractor: NeurIPTFeatureExtractor):
        self.extractor = extractor
        self.seen = self.amplitude = self.flat = self.kept = self.outside = 0
        self.names: list = []
        self.peak = None  # (C,) largest |value| of each channel, in the units of the values given to add_peaks

    def add_peaks(self, values: np.ndarray, names, companded: bool):
        """`values` (W, C, T): A-law-companded windows (`companded=True`, when the extractor compands) or µV."""
        if not len(values):
            return
        peak = np.abs(values).max(axis=(0, 2))
        if companded and self.extractor.alaw_A is not None:
            peak = a_law_expand(peak, self.extractor.alaw_A)  # back to µV: the flat threshold is in µV
        self.names = list(names)
        self.peak = peak if self.peak is None else np.maximum(self.peak, peak)

    def add_window(self, amplitude: bool, flat: bool):
        self.seen += 1
        self.amplitude += amplitude
        self.flat += flat

    def check_channels(self):
        """A channel flat (within ±flat_threshold_uv) over the whole recording is a dead electrode, not EEG."""
        if self.peak is None:
            return
        dead = [name for name, peak in zip(self.names, self.peak) if peak < self.extractor.flat_threshold_uv]
        if dead:
            raise RecordingSkipped(
                f"flat: channel(s) {dead} stay within ±{self.extractor.flat_threshold_uv:g} µV for the whole recording "
                "(disconnected or dead electrodes); mark them bad in the file (info['bads']) or list the recipe's "
                "channels without them"
            )

    def check(self):
        """After the last window: a dead channel, or no window kept, raises `RecordingSkipped` saying why."""
        self.check_channels()
        if self.kept:
            return
        if not self.seen:
            raise RecordingSkipped(
                f"no windows: all {self.outside} event windows reach past the recording's ends"
                if self.outside else "no windows: the recording is shorter than one window after cleaning"
            )
        raise RecordingSkipped(
            f"no windows left after cleaning: all {self.seen} windows are flagged (amplitude above "
            f"{self.extractor.artifact_threshold_uv:g} µV: {self.amplitude}, a channel flat within "
            f"±{self.extractor.flat_threshold_uv:g} µV: {self.flat}) and cleaning.reject_artifacts is on; set it to "
            "false to keep them with their flags"
        )


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
    """`iter_window_rows` with numpy arrays as lists (what `datasets` encodes into the list features). A units warning
    of the extractor (µV samples that the file's header labels volts would give saturated, all-flagged windows) stops
    the recording: it is skipped with the warning as the reason."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for row in iter_window_rows(spec, recipe, mode, chunk_seconds):
            _raise_on_units_warning(caught, spec)
            yield {name: row[name].tolist() if isinstance(row[name], np.ndarray) else row[name] for name in COLUMNS}
        _raise_on_units_warning(caught, spec)


def _raise_on_units_warning(caught: list, spec: RecordingSpec):
    for warning in caught:
        if issubclass(warning.category, UnitsWarning):
            raise RecordingSkipped(f"units: {warning.message}")
        logger.warning("%s: %s", spec.path or spec.key, warning.message)
    caught.clear()


# Written into every shard folder: the file it came from (to notice a changed file on rerun) and, for a recording that
# gave no windows, why. A shard folder without it is an unfinished one from an older version and is redone.
SHARD_RECORD = "recording.json"


def _file_fingerprint(spec: RecordingSpec) -> Optional[dict]:
    """Size and modification time of a recording's file (its path is the shard key): a rerun redoes a shard whose file
    changed, and reuses it when the data folder was moved or copied with its times (`cp -p`, `rsync -a`)."""
    if spec.path is None:
        return None  # built-in recordings come from pinned, hash-checked wheels
    stat = os.stat(spec.path)
    return {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def _read_shard_record(shard: Path) -> Optional[dict]:
    try:
        return json.loads((shard / SHARD_RECORD).read_text())
    except (OSError, ValueError):
        return None


def _root_cause(error: BaseException) -> BaseException:
    """The exception raised inside our row generator, unwrapped from `datasets`' DatasetGenerationError."""
    seen = set()
    while error.__cause__ is not None and id(error) not in seen and type(error).__name__ == "DatasetGenerationError":
        seen.add(id(error))
        error = error.__cause__
    return error


def _prepare_one(job) -> tuple[str, int, Optional[str]]:
    """Prepare one recording into its shard; returns `(key, windows, reason it was skipped or None)`."""
    spec, recipe, mode, shard_dir, chunk_seconds = job
    shard = Path(shard_dir) / spec.key
    fingerprint = _file_fingerprint(spec)
    record = _read_shard_record(shard) if shard.exists() else None
    if record is not None and record.get("file") == fingerprint:
        return spec.key, record["windows"], record.get("skipped")  # done in an earlier run, file unchanged
    replace = shard.exists()  # an unfinished or stale shard (the file changed since) is redone
    from datasets import Dataset

    # Rows stream from the recording into Arrow files on disk, 100 rows per write, never all in memory at once (at
    # datasets' default of 1000 the writer's buffers alone made the peak grow with the recording's length: +17 MiB
    # from 1 h to 4 h of 8 channels; flat at 100). The generator's cache lives in a temporary folder next to the
    # shards (nothing in the home directory).
    with tempfile.TemporaryDirectory(dir=shard_dir, prefix=f".{spec.key}.rows-") as cache:
        try:
            dataset = Dataset.from_generator(
                _arrow_rows, features=dataset_features(), cache_dir=cache, writer_batch_size=100,
                gen_kwargs={"spec": spec, "recipe": recipe, "mode": mode, "chunk_seconds": chunk_seconds},
            )
        except Exception as error:
            cause = _root_cause(error)
            if not isinstance(cause, ValueError):
                # Not a property of the recording (a full disk, a bug): stop, rather than skip recordings for it.
                raise
            reason = str(cause) if isinstance(cause, RecordingSkipped) else f"{type(cause).__name__}: {cause}"
            if fingerprint is None or not isinstance(cause, RecordingSkipped):
                return spec.key, 0, reason  # not remembered: quick to find again, and a rerun tries again
            atomic_save(shard, lambda tmp: _write_record(tmp, fingerprint, 0, reason), replace=replace)
            return spec.key, 0, reason
        count = len(dataset)

        def write(tmp: Path):
            dataset.save_to_disk(str(tmp))
            _write_record(tmp, fingerprint, count, None)

        # first writer wins for a new shard: a concurrent run never swaps a folder another may be reading
        atomic_save(shard, write, replace=replace)
        del dataset
    return spec.key, count, None


def _write_record(folder: Path, fingerprint: Optional[dict], windows: int, skipped: Optional[str]):
    (folder / SHARD_RECORD).write_text(json.dumps({"file": fingerprint, "windows": windows, "skipped": skipped}) + "\n")


# ----------------------------------------------------------------------------------------------------------------------
# Output folders: the settings that made them
# ----------------------------------------------------------------------------------------------------------------------

# Recipe keys that do not change a window (documentation, and what `neuript finetune` reads from the manifest).
DOCUMENTATION_KEYS = ("info", "description", "splits", "metrics", "tasks")
SETTINGS_FILE = "settings.json"  # in <output>/shards/
PREPARE_FORMAT = 2  # bump when the shards' content changes for the same recipe


def prepare_settings(recipe: dict, mode: str) -> dict:
    """What determines the windows of an output folder: the recipe (less its documentation) and the mode. (Which
    files, and whether they changed, each shard checks for itself.) JSON-normalised, so it compares equal to what a
    folder recorded."""
    settings = {
        "format": PREPARE_FORMAT,
        "recipe": {key: value for key, value in recipe.items() if key not in DOCUMENTATION_KEYS},
        "mode": mode,
    }
    return json.loads(json.dumps(settings, default=str))


def _flatten(value, prefix: str = "") -> dict:
    if isinstance(value, dict):
        flat = {}
        for key, item in value.items():
            flat.update(_flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    return {prefix: value}


def settings_differences(old: dict, new: dict) -> list[str]:
    """`["recipe.windows.window_seconds: 4.0 -> 2.0", ...]`."""
    before, after = _flatten(old), _flatten(new)
    return [
        f"{key}: {before.get(key, '(unset)')!r} -> {after.get(key, '(unset)')!r}"
        for key in sorted(set(before) | set(after))
        if before.get(key, "(unset)") != after.get(key, "(unset)")
    ]


def _recorded_settings(output: Path) -> tuple[bool, Optional[dict]]:
    """`(folder holds prepared data, the settings it recorded or None)`."""
    shard_dir = output / "shards"
    shards = shard_dir.is_dir() and any(not p.name.startswith(".") and p.is_dir() for p in shard_dir.iterdir())
    used = shards or (output / "data").is_dir() or (output / "manifest.json").exists()
    for source in (shard_dir / SETTINGS_FILE, output / "manifest.json"):
        if source.exists():
            content = json.loads(source.read_text())
            return used, content if source.name == SETTINGS_FILE else content.get("settings")
    return used, None


def _write_text_atomically(path: Path, text: str):
    descriptor, tmp = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def claim_output(output: Path, settings: dict, overwrite: bool):
    """Make `output` a folder of these settings: new, already of these settings, or (with `overwrite`) emptied of
    what other settings made. Otherwise a ValueError lists the differences and the two ways out."""
    used, recorded = _recorded_settings(output)
    if used and recorded != settings:
        if recorded is None:
            what = "data from a run that did not record its settings (an older neuript, or another program)"
        else:
            what = "data prepared with other settings: " + "; ".join(settings_differences(recorded, settings))
        if not overwrite:
            raise ValueError(
                f"{output} holds {what}. Its windows are not what this run asks for. Prepare into another "
                "--output_dir, or pass --overwrite to delete its shards, data and manifest and rebuild it."
            )
        logger.warning("rebuilding %s: it held %s", output, what)
        for name in ("shards", "data"):
            shutil.rmtree(output / name, ignore_errors=True)
        for name in ("manifest.json", "preprocessor_config.json"):
            (output / name).unlink(missing_ok=True)
    shard_dir = output / "shards"
    shard_dir.mkdir(parents=True, exist_ok=True)
    _write_text_atomically(shard_dir / SETTINGS_FILE, json.dumps(settings, indent=2) + "\n")


# ----------------------------------------------------------------------------------------------------------------------
# The run
# ----------------------------------------------------------------------------------------------------------------------


def prepare(args: PrepareArguments) -> Path:
    """Run a recipe; returns the dataset folder."""
    from datasets import concatenate_datasets, load_from_disk
    from tqdm.auto import tqdm

    recipe = load_recipe(args.recipe)
    mode = args.mode or recipe["windows"].get("mode", "pretraining")
    if mode not in ("pretraining", "events"):
        raise ValueError(f"mode must be 'pretraining' or 'events', got {mode!r}.")
    make_extractor(recipe)  # a recipe error (bad preprocessing options) fails here, once, not once per recording
    recording_units(recipe)
    specs = list_recordings(recipe, args.root)[: args.limit_recordings]
    output = Path(args.output_dir)
    settings = prepare_settings(recipe, mode)
    claim_output(output, settings, args.overwrite)
    shard_dir = output / "shards"
    jobs = [(spec, recipe, mode, str(shard_dir), 60.0 * args.chunk_minutes) for spec in specs]
    counts, skipped = {}, {}
    if args.num_proc > 1:
        with multiprocessing.get_context("spawn").Pool(args.num_proc) as pool:
            results = list(tqdm(pool.imap(_prepare_one, jobs), total=len(jobs), desc="recordings"))
    else:
        results = [_prepare_one(job) for job in tqdm(jobs, desc="recordings")]
    paths = {spec.key: spec.path or spec.loader for spec in specs}
    for key, count, reason in results:
        counts[key] = count
        if reason is not None:
            skipped[key] = {"path": paths[key], "reason": reason}
    listing = "\n".join(f"  {entry['path']}: {entry['reason']}" for entry in skipped.values())
    if skipped and args.strict:
        raise ValueError(f"--strict: {len(skipped)} of {len(specs)} recordings were skipped:\n{listing}")
    shards = [load_from_disk(str(shard_dir / spec.key)) for spec in specs if counts[spec.key] > 0]
    if not shards:
        raise ValueError(
            f"Recipe {recipe['name']!r} produced no windows from its {len(specs)} recordings; every one was "
            f"skipped:\n{listing}"
        )
    dataset = concatenate_datasets(shards)
    data_dir = output / "data"
    atomic_save(data_dir, lambda tmp: dataset.save_to_disk(str(tmp)))
    with tempfile.TemporaryDirectory(dir=output, prefix=".extractor-") as tmp:  # concurrent runs: no torn file
        make_extractor(recipe).save_pretrained(tmp)
        os.replace(Path(tmp) / "preprocessor_config.json", output / "preprocessor_config.json")
    manifest = {
        "recipe": recipe,
        "mode": mode,
        "settings": settings,
        "limit_recordings": args.limit_recordings,
        "recordings": [spec.key for spec in specs],
        "windows": len(dataset),
        "windows_per_recording": counts,
        "skipped": skipped,
        "columns": list(COLUMNS),
    }
    if mode == "events":
        manifest["label_counts"] = {str(k): int(v) for k, v in zip(*np.unique(dataset["label"], return_counts=True))}
    _write_text_atomically(output / "manifest.json", json.dumps(manifest, indent=2, default=str) + "\n")
    print(f"wrote {len(dataset)} windows from {len(specs) - len(skipped)} of {len(specs)} recordings to {data_dir}")
    if skipped:
        print(f"skipped {len(skipped)} recording(s), listed in {output / 'manifest.json'} under 'skipped':\n{listing}")
    return data_dir


def prepare_recipe(
    recipe_name: str,
    sites: list,
    out: Path,
    window_seconds: Optional[float] = None,
    limit_recordings: Optional[int] = None,
    overrides: Optional[dict] = None,
    variant: Optional[str] = None,
) -> Path:
    """Prepare a built-in recipe (`processing/<recipe_name>.yaml`) at the scalp sites nearest to `sites` (and with
    windows of `window_seconds` when given) into `out/<recipe_name>/`, writing the adapted recipe next to it as
    `out/<recipe_name>.yaml`. An existing output made with exactly these settings is reused; one made with others
    (other sites, window length or recording limit) is rebuilt. Returns the dataset folder.

    `overrides` changes recipe sections key by key (e.g. `{"preprocessing": {"alaw_A": None}, "cleaning":
    {"trim_minutes": 0}}`); a `variant` name keeps such an output apart: `out/<recipe_name>-<variant>/`."""
    recipe = yaml.safe_load(recipe_path(recipe_name).read_text())
    recipe["channels"] = {"nearest": list(sites)}
    if window_seconds is not None:
        recipe["windows"]["window_seconds"] = window_seconds
    for section, values in (overrides or {}).items():
        if isinstance(values, dict) and isinstance(recipe.get(section), dict):
            recipe[section] = {**recipe[section], **values}
        else:
            recipe[section] = values
    name = f"{recipe_name}-{variant}" if variant else recipe_name
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    target = out / name
    mode = recipe["windows"].get("mode", "pretraining")
    manifest = target / "manifest.json"
    if manifest.exists() and (target / "data").is_dir():
        recorded = json.loads(manifest.read_text())
        if (recorded.get("settings") == prepare_settings(recipe, mode)
                and recorded.get("limit_recordings") == limit_recordings):
            return target
    path = out / f"{name}.yaml"
    _write_text_atomically(path, yaml.safe_dump(recipe))
    prepare(PrepareArguments(recipe=str(path), output_dir=str(target), limit_recordings=limit_recordings,
                             overwrite=True))
    return target


def merge_prepared(folders: Sequence[os.PathLike], output: os.PathLike) -> Path:
    """One prepared folder holding the windows of several (e.g. Face13's and EEGMMIDB's unlabelled windows, for
    pretraining on every window available). The folders must share one preprocessing contract (the same
    `preprocessor_config.json`: rate, filters, units, A-law, window length) and one mode; anything else is an error that
    names the first difference. The merged manifest lists every source folder's recordings and counts. Written into a
    staging folder and renamed into place, so an interrupted merge leaves no half-written output."""
    from datasets import concatenate_datasets

    from modeling_neuript.data.reading import load_prepared

    if len(folders) < 2:
        raise ValueError(f"merge_prepared needs two prepared folders or more, got {len(folders)}.")
    parts = [(Path(folder), *load_prepared(folder)) for folder in folders]
    first_folder, _, first_extractor, first_manifest = parts[0]
    contract = first_extractor.to_dict()
    for folder, _, extractor, manifest in parts[1:]:
        other = extractor.to_dict()
        differences = sorted(key for key in set(contract) | set(other) if contract.get(key) != other.get(key))
        if differences:
            key = differences[0]
            raise ValueError(
                f"{folder} was prepared with {key} = {other.get(key)!r}, {first_folder} with {contract.get(key)!r} "
                f"(differing: {', '.join(differences)}); prepare both with the same preprocessing to merge them."
            )
        if manifest["mode"] != first_manifest["mode"]:
            raise ValueError(f"{folder} holds {manifest['mode']!r} windows, {first_folder} {first_manifest['mode']!r}; "
                             "only folders of one mode merge.")
    output = Path(output)
    staging = output.with_name(f".{output.name}.merging")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    merged = concatenate_datasets([dataset for _, dataset, _, _ in parts])
    merged.save_to_disk(str(staging / "data"))
    first_extractor.save_pretrained(staging)
    manifest = {
        "mode": first_manifest["mode"],
        "merged_from": [str(folder) for folder, _, _, _ in parts],
        "windows": len(merged),
        "windows_per_recording": {k: v for _, _, _, m in parts for k, v in m.get("windows_per_recording", {}).items()},
        "skipped": {k: v for _, _, _, m in parts for k, v in m.get("skipped", {}).items()},
        "columns": list(merged.column_names),
    }
    (staging / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    if output.exists():
        shutil.rmtree(output)
    os.replace(staging, output)
    return output


def run_prepare(args: PrepareArguments) -> int:
    from modeling_neuript.data.trials import is_trial_file, prepare_trials

    if is_trial_file(args.recipe):  # epoched data: the trials path (data/trials.py), not a recipe
        prepare_trials(args.recipe, args.output_dir, args.channel_positions)
        print(f"wrote the trials of {args.recipe} to {args.output_dir}")
        return 0
    prepare(args)
    return 0
