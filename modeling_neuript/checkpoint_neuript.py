# coding=utf-8
# Copyright 2026 The NeurIPT developers. MIT licence.
"""What a NeurIPT checkpoint must be before its weights are used: sealed, intact, finite, and described by the config
and the feature extractor it was saved with.

- **Seal** (`seal_weights`, at every `save_pretrained`): each `*.safetensors` file gets two entries in its own
  metadata — `neuript_sha256`, a SHA-256 of its tensor table and tensor bytes, and `neuript_settings`, the
  configuration values that change the model's outputs for the same weights (`output_settings`).
- **Check** (`verify_weights`, at every `from_pretrained`, before transformers reads a byte): an unreadable header, a
  file shorter than its header says, or tensor bytes that no longer hash to the seal are `ValueError`s naming the file.
  Files saved without a seal (other tools, older releases) are read as they are.
- **Settings** (`check_settings`): a `config.json` edited after the weights were saved (`position_grid_size` 50 → 100
  loads silently in plain transformers and moves every hidden state) is refused; the same change passed on purpose as a
  `from_pretrained` argument is allowed and reported.
- **Extractor** (`check_extractor_matches`): the feature extractor must produce the inputs the model was trained on —
  the same sampling rate, window length and head frame (`config.sampling_rate`, `config.window_seconds`,
  `config.position_bounds`).

Part of the Hub bundle: the standard library, torch and transformers only, so the checks hold for `trust_remote_code`
users who never install the neuript package.
"""

import hashlib
import inspect
import json
import math
import os
import struct
from typing import Any, Iterable, Optional

import torch
from transformers.utils import logging


logger = logging.get_logger(__name__)

SEAL_KEY = "neuript_sha256"
SETTINGS_KEY = "neuript_settings"
WEIGHTS_NAME = "model.safetensors"
WEIGHTS_INDEX_NAME = "model.safetensors.index.json"
_CHUNK = 1 << 24  # bytes hashed per read

# Configuration fields that never change what a loaded model computes at inference: dropout, router noise and the
# training losses and masking of the pretraining objective, weight initialisation, bookkeeping. Every other
# `NeurIPTConfig` argument is an output setting.
TRAINING_ONLY_SETTINGS = frozenset(
    {
        "hidden_dropout_prob",
        "attention_dropout",
        "classifier_dropout",
        "router_jitter_noise",
        "importance_loss_weight",
        "load_balance_loss",
        "router_aux_loss_coef",
        "mask_strategy",
        "mask_ratios",
        "mask_replace_probs",
        "reconstruction_loss_p",
        "balanced_bce_k",
        "class_priors",
        "label_smoothing",
        "initializer_range",
        "neuript_version",
        "base_model",
    }
)
# Settings of the classification head: they matter only when the head itself is loaded from the checkpoint.
HEAD_SETTINGS = frozenset({"lobe_grouping", "classifier_layers", "classifier_head"})
# Settings that record what inputs the model expects (checked against the feature extractor); the forward pass never
# reads them, so changing one changes the contract, not what the weights compute.
INPUT_CONTRACT_SETTINGS = frozenset({"sampling_rate", "window_seconds"})
# What the feature extractor and the model must agree on (extractor attribute, config attribute).
EXTRACTOR_SETTINGS = (
    ("sampling_rate", "sampling_rate"),
    ("window_seconds", "window_seconds"),
    ("position_bounds", "position_bounds"),
)


class CheckpointError(ValueError):
    """A checkpoint that must not be used: damaged, incomplete, or inconsistent with its configuration."""


# ----------------------------------------------------------------------------------------------------------------------
# The seal
# ----------------------------------------------------------------------------------------------------------------------


def read_header(path: str) -> tuple[int, dict]:
    """`(header_length, header)` of a safetensors file; a `CheckpointError` if the header cannot be read or the file
    is shorter than the header says."""
    size = os.path.getsize(path)
    try:
        with open(path, "rb") as handle:
            prefix = handle.read(8)
            (length,) = struct.unpack("<Q", prefix)
            if not 2 <= length <= size - 8:
                raise ValueError(f"header length {length} does not fit a file of {size} bytes")
            header = json.loads(handle.read(length))
        if not isinstance(header, dict):
            raise ValueError("the header is not a JSON object")
        end = max((entry["data_offsets"][1] for name, entry in header.items() if name != "__metadata__"), default=0)
    except (struct.error, ValueError, KeyError, TypeError, IndexError, UnicodeDecodeError) as error:
        raise CheckpointError(
            f"The weights file {path} is truncated or corrupted: its safetensors header cannot be read ({error}). "
            "Re-download or re-save the checkpoint; nothing was loaded."
        ) from None
    if 8 + length + end != size:
        raise CheckpointError(
            f"The weights file {path} is truncated or corrupted: its header describes {8 + length + end} bytes, the "
            f"file has {size}. Re-download or re-save the checkpoint; nothing was loaded."
        )
    return length, header


def weights_digest(path: str, length: int, header: dict) -> str:
    """SHA-256 of the tensor table (names, dtypes, shapes, offsets) and of every tensor byte of a safetensors file —
    everything but its metadata, where the digest itself is stored."""
    table = {name: entry for name, entry in header.items() if name != "__metadata__"}
    digest = hashlib.sha256(json.dumps(table, sort_keys=True).encode())
    with open(path, "rb") as handle:
        handle.seek(8 + length)
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def seal_weights(path: str, settings: dict) -> None:
    """Write the seal (`neuript_sha256`) and the output settings into the metadata of the safetensors file `path`,
    rewriting it under a temporary name and renaming it into place."""
    length, header = read_header(path)
    metadata = dict(header.get("__metadata__") or {})
    metadata[SEAL_KEY] = weights_digest(path, length, header)
    metadata[SETTINGS_KEY] = json.dumps(settings, sort_keys=True)
    new_header = json.dumps({"__metadata__": metadata, **{k: v for k, v in header.items() if k != "__metadata__"}})
    encoded = new_header.encode()
    encoded += b" " * (-len(encoded) % 8)  # tensor data starts 8-byte aligned, as safetensors writes it
    tmp = f"{path}.sealing"
    with open(path, "rb") as source, open(tmp, "wb") as target:
        target.write(struct.pack("<Q", len(encoded)))
        target.write(encoded)
        source.seek(8 + length)
        for chunk in iter(lambda: source.read(_CHUNK), b""):
            target.write(chunk)
        target.flush()
        os.fsync(target.fileno())
    os.replace(tmp, path)


def verify_weights(path: str) -> Optional[dict]:
    """Check a safetensors file against its seal; return the output settings it was saved with (`None` for a file
    without a seal). Raises `CheckpointError` for a damaged, truncated or modified file."""
    length, header = read_header(path)
    metadata = header.get("__metadata__") or {}
    sealed = metadata.get(SEAL_KEY)
    if sealed is None:
        logger.info(f"{path} carries no NeurIPT seal (saved by another tool or release): its bytes are not verified.")
        return None
    if weights_digest(path, length, header) != sealed:
        raise CheckpointError(
            f"The weights file {path} is corrupted (or was modified after it was saved): its tensor bytes no longer "
            f"match the SHA-256 written at save time ({sealed[:16]}...). Re-download or re-save the checkpoint; "
            "nothing was loaded."
        )
    try:
        return json.loads(metadata.get(SETTINGS_KEY, "{}"))
    except ValueError:
        raise CheckpointError(f"The weights file {path} has unreadable '{SETTINGS_KEY}' metadata.") from None


# ----------------------------------------------------------------------------------------------------------------------
# Which files
# ----------------------------------------------------------------------------------------------------------------------


HUB_KWARGS = ("cache_dir", "force_download", "proxies", "local_files_only", "token", "revision")


def checkpoint_files(
    pretrained_model_name_or_path, subfolder: str = "", has_config: bool = False, **hub_kwargs
) -> dict:
    """The files of a checkpoint folder or Hub repository: `{"config": config.json, "extractor":
    preprocessor_config.json, "weights": [safetensors files]}` (a path or `None`; the weights are `model.safetensors`
    or every shard listed in `model.safetensors.index.json`). A `CheckpointError` names what is missing (no config.json
    unless `has_config`, no weights, a shard the index lists but the folder lacks); a folder holding only a pickled
    `pytorch_model.bin` gives no weights (transformers loads it; there is no seal to check)."""
    source = str(pretrained_model_name_or_path)
    if os.path.isdir(source):
        folder = os.path.join(source, subfolder)

        def locate(name):
            path = os.path.join(folder, name)
            return path if os.path.isfile(path) else None

    else:
        from transformers.utils import cached_file

        options = {key: hub_kwargs[key] for key in HUB_KWARGS if hub_kwargs.get(key) is not None}

        def locate(name):
            return cached_file(
                source,
                name,
                subfolder=subfolder,
                _raise_exceptions_for_missing_entries=False,
                _raise_exceptions_for_connection_errors=False,
                **options,
            )

    found = {"config": locate("config.json"), "extractor": locate("preprocessor_config.json"), "weights": []}
    if os.path.isdir(source) and found["config"] is None and not has_config:
        raise CheckpointError(
            f"{source} has no config.json, so there is no model description to load the weights into. Copy the "
            "config.json saved with these weights into the folder (or pass config= to from_pretrained)."
        )
    single = locate(WEIGHTS_NAME)
    if single is not None:
        return {**found, "weights": [single]}
    index = locate(WEIGHTS_INDEX_NAME)
    if index is not None:
        with open(index) as handle:
            shards = sorted(set(json.load(handle).get("weight_map", {}).values()))
        files, missing = [], []
        for shard in shards:
            path = locate(shard)
            (files if path is not None else missing).append(path or shard)
        if missing:
            raise CheckpointError(
                f"{source} is a sharded checkpoint whose index lists {missing}, which are missing. Copy every shard "
                "of the save (or re-save the model); nothing was loaded."
            )
        return {**found, "weights": files}
    if locate("pytorch_model.bin") is not None or not os.path.isdir(source):
        return found  # pickled weights (no seal to check), or an unreachable repository: transformers says so
    raise CheckpointError(
        f"{source} holds no weights: neither {WEIGHTS_NAME} nor {WEIGHTS_INDEX_NAME} (with its shards). Refusing to "
        "build a randomly initialised model from its config; copy the weights into the folder."
    )


# ----------------------------------------------------------------------------------------------------------------------
# Settings
# ----------------------------------------------------------------------------------------------------------------------


def _setting_names(config) -> list[str]:
    names = [name for name in inspect.signature(type(config).__init__).parameters if name not in ("self", "kwargs")]
    return [name for name in names if name not in TRAINING_ONLY_SETTINGS and hasattr(config, name)]


def _plain(value: Any) -> Any:
    """A JSON round trip, so that tuples and lists, ints and floats compare as they are stored."""
    return json.loads(json.dumps(value))


def output_settings(config, with_head: bool) -> dict:
    """The configuration values that change the model's outputs for the same weights: every `NeurIPTConfig` argument
    except the training-only ones, and except the head's settings unless `with_head`."""
    return {
        name: _plain(getattr(config, name))
        for name in _setting_names(config)
        if with_head or name not in HEAD_SETTINGS
    }


def check_settings(saved: dict, config, stored: Optional[dict], source: str, with_head: bool) -> list[str]:
    """Compare the output settings the weights were saved with (`saved`) against the configuration they are loaded
    into (`config`), knowing what config.json holds (`stored`, `None` if unknown). A value the caller changed on purpose
    (a `from_pretrained` argument: `config` differs from config.json) is returned for reporting; a value config.json
    itself changed means the file was edited after saving or belongs to other weights: `CheckpointError`."""
    changed, refused = [], []
    for name, value in saved.items():
        if (name in HEAD_SETTINGS and not with_head) or not hasattr(config, name):
            continue
        current = _plain(getattr(config, name))
        if current == value:
            continue
        on_purpose = stored is not None and name in stored and _plain(stored[name]) != current
        (changed if on_purpose else refused).append((name, value, current))
    if refused:
        listed = "; ".join(f"{name}: saved {old!r}, config.json {new!r}" for name, old, new in refused)
        restore = ", ".join(f"{name}={old!r}" for name, old, _ in refused)
        raise CheckpointError(
            f"The configuration of {source} differs from the one its weights were saved with ({listed}). These "
            "settings change what the model computes, so config.json was edited after saving or belongs to other "
            f"weights. Restore {restore} in config.json; to change them on purpose, pass them to from_pretrained "
            "(e.g. from_pretrained(path, position_grid_size=...))."
        )
    return [f"{name} {old!r} -> {new!r}" for name, old, new in changed]


def check_finite(model: torch.nn.Module, loaded: Iterable[str], source: str) -> None:
    """Refuse loaded weights that hold NaN or infinity."""
    loaded = set(loaded)
    bad = [
        name
        for name, tensor in model.state_dict().items()
        if name in loaded and tensor.is_floating_point() and not bool(torch.isfinite(tensor).all())
    ]
    if bad:
        raise CheckpointError(
            f"The weights of {source} hold NaN or infinite values in {len(bad)} tensor(s), e.g. {sorted(bad)[:5]}: the "
            "checkpoint is corrupted or was saved after training diverged. Use an earlier checkpoint; nothing usable "
            "was loaded."
        )


# ----------------------------------------------------------------------------------------------------------------------
# Extractor and model
# ----------------------------------------------------------------------------------------------------------------------


def _extractor_value(extractor, name):
    return extractor.get(name) if isinstance(extractor, dict) else getattr(extractor, name, None)


def check_extractor_matches(extractor, config, where: str, skip: Iterable[str] = ()) -> None:
    """Raise a `CheckpointError` unless the feature extractor (an object or its `preprocessor_config.json` dict)
    produces the inputs the model was trained on: `sampling_rate`, `window_seconds` and `position_bounds` of the
    extractor equal the model config's. `skip`: config fields to leave out (changed on purpose by the caller)."""
    problems = []
    for extractor_name, config_name in EXTRACTOR_SETTINGS:
        if config_name in skip:
            continue
        have, want = _extractor_value(extractor, extractor_name), getattr(config, config_name, None)
        if have is None or want is None:
            continue
        if isinstance(want, (list, tuple)):
            same = len(have) == len(want) and all(math.isclose(float(a), float(b)) for a, b in zip(have, want))
        else:
            same = math.isclose(float(have), float(want))
        if not same:
            problems.append(f"{extractor_name} {have!r} (model: {config_name} {want!r})")
    if problems:
        raise CheckpointError(
            f"{where}: the feature extractor does not produce the inputs the model was trained on: "
            f"{'; '.join(problems)}. Use the extractor saved with the model (AutoFeatureExtractor.from_pretrained on "
            "the checkpoint), or build one with the model's values (e.g. NeurIPTFeatureExtractor(sampling_rate="
            f"{config.sampling_rate}, window_seconds={config.window_seconds})); if the model really was trained on "
            "the extractor's windows, set the same values in its config.json."
        )


__all__ = [
    "CheckpointError",
    "check_extractor_matches",
    "check_finite",
    "check_settings",
    "checkpoint_files",
    "output_settings",
    "seal_weights",
    "verify_weights",
]
