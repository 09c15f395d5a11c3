"""Real EEG recordings that install from PyPI, for tests, examples and benchmarks.

Two pinned wheels carry real recordings as package data (docs/preprocessing.md names them):

- `biosignalsnotebooks==0.6.14`: `S001R02.edf`, PhysioNet EEG Motor Movement/Imagery subject 1 run 2 (eyes-closed
  baseline), 64 channels with EEGMMIDB's dotted names (`Fc5.`), 160 Hz, 61 s. Data licence ODC-By 1.0.
- `pylossless==0.2.0`: two subjects of the Face13 face/house/checkerboard visual ERP study as BIDS, 128-channel
  BioSemi (A1..D32), 256 Hz, 1-30 Hz band-passed, 18.7 and 20 min, with `_events.tsv` labels. No data licence is
  stated in the wheel; cite pylossless (Huberty et al.) and Face13 when using it.

The wheels are fetched with `pip download --no-deps` (never installed, never imported: pylossless would pull in
mne-bids and mne-icalabel), checked against pinned sha256 values, and only the needed members are unpacked into the
cache (`$NEURIPT_CACHE`, default `~/.cache/neuript`), each checked against its own sha256. Later calls read the cache.

This module is not part of the Hub bundle; it imports mne.
"""

import csv
import hashlib
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from typing import Optional, Sequence


@dataclass(frozen=True)
class PinnedWheel:
    name: str
    version: str
    sha256: str


@dataclass(frozen=True)
class PinnedFile:
    wheel: PinnedWheel
    member: str  # path inside the wheel
    sha256: str


BIOSIGNALSNOTEBOOKS = PinnedWheel(
    "biosignalsnotebooks", "0.6.14", "9ba3839680f7364f37a672c2288044f20b7bbbbef74fb3915b6c218c8597cac2"
)
PYLOSSLESS = PinnedWheel("pylossless", "0.2.0", "2452630d114d0f3ecd4b8a3c7b7ed7180fee93f6712e3fcb6b34ae14a5b3d8ac")

_FACE13_ROOT = "pylossless/assets/test_data"
# EDF and wheel hashes are the ones of the offline-data survey; the sidecar hashes were computed from the same wheel.
PINNED_FILES = {
    "S001R02.edf": PinnedFile(
        BIOSIGNALSNOTEBOOKS,
        "biosignalsnotebooks/notebook_files/osf_files/signal_samples/S001R02.edf",
        "31a95e0a880e6c3d89960d9d62c144f24cc4e9f5d7e93c7f864ef61cd49e847e",
    ),
    "sub-s01_task-faceO_eeg.edf": PinnedFile(
        PYLOSSLESS,
        f"{_FACE13_ROOT}/sub-s01/eeg/sub-s01_task-faceO_eeg.edf",
        "99b6f5da72463bbab5e17d828fefbbd8af77f7f50c16eff33095877501426517",
    ),
    "sub-s01_task-faceO_events.tsv": PinnedFile(
        PYLOSSLESS,
        f"{_FACE13_ROOT}/sub-s01/eeg/sub-s01_task-faceO_events.tsv",
        "d59e6cde64c92582c0fbcdecc28a5750119bdd2ab2a9825814b927be3ca7ecc7",
    ),
    "sub-s01_task-faceO_eeg.json": PinnedFile(
        PYLOSSLESS,
        f"{_FACE13_ROOT}/sub-s01/eeg/sub-s01_task-faceO_eeg.json",
        "bab119506b79e1ca59121643ac08957a5bfa3ae2f5c780ff7379bfb33c7150ce",
    ),
    "sub-s01_task-faceO_channels.tsv": PinnedFile(
        PYLOSSLESS,
        f"{_FACE13_ROOT}/sub-s01/eeg/sub-s01_task-faceO_channels.tsv",
        "1d64a1272adae39c5b791eda7170454d16842c0e3ea0ff57e113f5c6c1667f06",
    ),
    "sub-s02_task-faceO_eeg.edf": PinnedFile(
        PYLOSSLESS,
        f"{_FACE13_ROOT}/sub-s02/eeg/sub-s02_task-faceO_eeg.edf",
        "8384fa47a33cc7d7d7ec393ae251cd29f2fdc76be96742760a042df9b4f0022d",
    ),
    "sub-s02_task-faceO_events.tsv": PinnedFile(
        PYLOSSLESS,
        f"{_FACE13_ROOT}/sub-s02/eeg/sub-s02_task-faceO_events.tsv",
        "0c6019905328f3e3c46b902c1923fc4aa6e299c3ecca1004080f9fd919fcec1e",
    ),
    "sub-s02_task-faceO_eeg.json": PinnedFile(
        PYLOSSLESS,
        f"{_FACE13_ROOT}/sub-s02/eeg/sub-s02_task-faceO_eeg.json",
        "47441fa68682699bafc925f1951b2a34880edbba705c188f884030aef82565a2",
    ),
    "sub-s01_task-faceO_ll_FlaggedChs.tsv": PinnedFile(
        PYLOSSLESS,
        f"{_FACE13_ROOT}/sub-s01/eeg/sub-s01_task-faceO_ll_FlaggedChs.tsv",
        "f6311204cd35902d4b157e1754136d98f4a432b9e5ac7c1588f21356422f7533",
    ),
    "sub-s02_task-faceO_ll_FlaggedChs.tsv": PinnedFile(
        PYLOSSLESS,
        f"{_FACE13_ROOT}/sub-s02/eeg/sub-s02_task-faceO_ll_FlaggedChs.tsv",
        "a136f23108e88ed06a87dbf384de85301c80a6a7e23d408b526d59675607d14a",
    ),
    "sub-s02_task-faceO_channels.tsv": PinnedFile(
        PYLOSSLESS,
        f"{_FACE13_ROOT}/sub-s02/eeg/sub-s02_task-faceO_channels.tsv",
        "1d64a1272adae39c5b791eda7170454d16842c0e3ea0ff57e113f5c6c1667f06",
    ),
}

FACE13_CONDITIONS = (
    "face-upright",
    "face-inverted",
    "house-upright",
    "house-inverted",
    "checker-left",
    "checker-right",
)
FACE13_RESPONSES = ("press-left", "press-right")


class DatasetFetchError(RuntimeError):
    """A pinned wheel could not be downloaded (no network, PyPI unreachable). Tests skip on it; nothing else does."""


class ChecksumError(RuntimeError):
    """A downloaded wheel or an unpacked file does not have its pinned sha256."""


def cache_dir() -> pathlib.Path:
    """`$NEURIPT_CACHE`, or `~/.cache/neuript`."""
    return pathlib.Path(os.environ.get("NEURIPT_CACHE", "~/.cache/neuript")).expanduser()


def sha256_of(path: os.PathLike) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fetch_wheel(name: str, version: str, sha256: str, cache: Optional[os.PathLike] = None) -> pathlib.Path:
    """Download `name==version` as a wheel with `pip download --no-deps` into `<cache>/wheels` and check its sha256.

    A cached wheel with the right hash is reused. The download goes to a temporary folder and is moved into place only
    after the hash matched, so a concurrent or interrupted call never leaves a bad file behind.

    Raises:
        `DatasetFetchError`: pip could not download the wheel (pip's output is in the message).
        `ChecksumError`: the wheel's sha256 is not `sha256` (the file is not kept).
    """
    wheels = pathlib.Path(cache or cache_dir()) / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    prefix = f"{name.replace('-', '_')}-{version}-"
    for cached in wheels.glob(f"{prefix}*.whl"):
        if sha256_of(cached) == sha256:
            return cached
        cached.unlink()  # a stale or corrupted copy: fetch again
    with tempfile.TemporaryDirectory(dir=wheels) as scratch:
        command = [
            sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--disable-pip-version-check",
            "-d", scratch, f"{name}=={version}",
        ]  # fmt: skip
        result = subprocess.run(command, capture_output=True, text=True)
        downloaded = list(pathlib.Path(scratch).glob(f"{prefix}*.whl"))
        if result.returncode != 0 or len(downloaded) != 1:
            raise DatasetFetchError(
                f"`{' '.join(command)}` failed (exit {result.returncode}):\n{result.stdout[-2000:]}{result.stderr[-2000:]}"
            )
        actual = sha256_of(downloaded[0])
        if actual != sha256:
            raise ChecksumError(f"{downloaded[0].name} has sha256 {actual}, expected the pinned {sha256}.")
        target = wheels / downloaded[0].name
        os.replace(downloaded[0], target)
    return target


def fetch_file(key: str, cache: Optional[os.PathLike] = None) -> pathlib.Path:
    """Path of one pinned file (a key of `PINNED_FILES`), unpacked from its wheel into `<cache>/files` if needed."""
    if key not in PINNED_FILES:
        raise KeyError(f"Unknown data file {key!r}; the pinned ones are {sorted(PINNED_FILES)}.")
    pinned = PINNED_FILES[key]
    root = pathlib.Path(cache or cache_dir())
    target = root / "files" / pinned.wheel.name / key
    if target.exists() and sha256_of(target) == pinned.sha256:
        return target
    wheel = fetch_wheel(pinned.wheel.name, pinned.wheel.version, pinned.wheel.sha256, cache=root)
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(wheel) as archive, tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as scratch:
        with archive.open(pinned.member) as member:
            shutil.copyfileobj(member, scratch, length=1 << 20)
    actual = sha256_of(scratch.name)
    if actual != pinned.sha256:
        os.unlink(scratch.name)
        raise ChecksumError(
            f"{pinned.member} in {wheel.name} has sha256 {actual}, expected the pinned {pinned.sha256}."
        )
    os.chmod(scratch.name, 0o644)  # NamedTemporaryFile creates 0600 files; the cache may be shared
    os.replace(scratch.name, target)
    return target


def _read_tsv(path: os.PathLike) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8-sig") as handle:  # the BIDS sidecars start with a byte-order mark
        return list(csv.DictReader(handle, delimiter="\t"))


def load_eegmmidb_s001r02(preload: bool = True):
    """EEGMMIDB subject 1, run 2 (eyes-closed baseline) as an `mne.io.Raw`.

    64 EEG channels with the dataset's dotted names (`Fc5.`, `C3..`), 160 Hz, 61 s, in volts. PhysioNet recorded it in
    the USA, so `info["line_freq"]` is set to 60 Hz.
    """
    import mne

    raw = mne.io.read_raw_edf(fetch_file("S001R02.edf"), preload=preload, verbose="error")
    raw.info["line_freq"] = 60.0
    return raw


def load_face13(subject: str = "s01", preload: bool = True, mark_flagged_bads: bool = False):
    """One Face13 subject (`"s01"` or `"s02"`) as an `mne.io.Raw` labelled from its BIDS sidecars.

    128 EEG channels named A1..D32 (BioSemi 128 cap; no montage is set, names are enough), 256 Hz, in volts. The
    annotations are replaced by the rows of `_events.tsv` (description = `trial_type`: `face-upright`, `house-inverted`,
    `checker-left`, `press-right`, ...), `info["line_freq"]` comes from `PowerLineFrequency` of `_eeg.json` (60 Hz), and
    channels with status "bad" in `_channels.tsv` go to `info["bads"]` (none are). With `mark_flagged_bads=True`, the
    channels pylossless flagged (`_ll_FlaggedChs.tsv`: high variance, low correlation, bridged, rank; 13 in s01, 9 in
    s02) are added to `info["bads"]` too, so that the feature extractor drops them.
    """
    import mne

    if subject not in ("s01", "s02"):
        raise ValueError(f"Face13 in pylossless 0.2.0 has subjects 's01' and 's02', got {subject!r}.")
    stem = f"sub-{subject}_task-faceO"
    raw = mne.io.read_raw_edf(fetch_file(f"{stem}_eeg.edf"), preload=preload, verbose="error")

    sidecar = json.loads(fetch_file(f"{stem}_eeg.json").read_text(encoding="utf-8-sig"))
    raw.info["line_freq"] = float(sidecar["PowerLineFrequency"])
    channels = _read_tsv(fetch_file(f"{stem}_channels.tsv"))
    bads = [row["name"] for row in channels if row.get("status") == "bad"]
    if mark_flagged_bads:
        bads += [row["ch_names"] for row in _read_tsv(fetch_file(f"{stem}_ll_FlaggedChs.tsv"))]
    raw.info["bads"] = [name for name in dict.fromkeys(bads) if name in raw.ch_names]

    events = _read_tsv(fetch_file(f"{stem}_events.tsv"))
    annotations = mne.Annotations(
        onset=[float(row["onset"]) for row in events],
        duration=[float(row["duration"]) for row in events],
        description=[row["trial_type"] for row in events],
        orig_time=raw.annotations.orig_time,
    )
    raw.set_annotations(annotations, verbose="error")
    return raw


def face13_events(raw, conditions: Sequence[str] = FACE13_CONDITIONS):
    """`(events, event_id)` of the labelled stimulus conditions of a Face13 recording (`mne.events_from_annotations`).

    `event_id` maps each condition present to 1, 2, ... in the order given, so codes are stable across subjects.
    """
    import mne

    present = set(raw.annotations.description)
    missing = [c for c in conditions if c not in present]
    if missing:
        raise ValueError(f"Conditions {missing} do not occur in this recording; it has {sorted(present)}.")
    event_id = {condition: code for code, condition in enumerate(conditions, start=1)}
    events, _ = mne.events_from_annotations(raw, event_id=event_id, verbose="error")
    return events, event_id


def face13_epochs(
    raw,
    conditions: Sequence[str] = FACE13_CONDITIONS,
    tmin: float = -0.1,
    tmax: float = 0.6,
    baseline: Optional[tuple] = (None, 0.0),
    preload: bool = True,
    **kwargs,
):
    """`mne.Epochs` around the labelled stimuli of a Face13 recording (defaults: -0.1..0.6 s, baseline before 0).

    Extra keyword arguments go to `mne.Epochs` (e.g. `reject=`). Epochs overlapping a `BAD_*` annotation are dropped,
    mne's default.
    """
    import mne

    events, event_id = face13_events(raw, conditions)
    return mne.Epochs(
        raw, events, event_id=event_id, tmin=tmin, tmax=tmax, baseline=baseline, preload=preload, verbose="error",
        **kwargs,
    )  # fmt: skip


__all__ = [
    "BIOSIGNALSNOTEBOOKS",
    "ChecksumError",
    "DatasetFetchError",
    "FACE13_CONDITIONS",
    "FACE13_RESPONSES",
    "PINNED_FILES",
    "PYLOSSLESS",
    "cache_dir",
    "face13_epochs",
    "face13_events",
    "fetch_file",
    "fetch_wheel",
    "load_eegmmidb_s001r02",
    "load_face13",
    "sha256_of",
]
