"""Reading what `neuript prepare` wrote: the prepared dataset, its feature extractor and manifest, and a collator
that turns its rows into model batches."""

import json
import os
from pathlib import Path
from typing import Optional, Sequence

import torch

from modeling_neuript.feature_extraction_neuript import NeurIPTFeatureExtractor


def dataset_root(path: os.PathLike) -> Path:
    """The folder `neuript prepare` wrote (holding `data/`, `manifest.json`, `preprocessor_config.json`), given either
    that folder or its `data/` subfolder."""
    path = Path(path)
    if (path / "data").is_dir():
        return path
    if path.name == "data" and (path.parent / "manifest.json").exists():
        return path.parent
    raise ValueError(f"{path} is not a folder written by `neuript prepare` (no data/ and manifest.json in it).")


def load_prepared(path: os.PathLike):
    """`(dataset, feature_extractor, manifest)` of a prepared folder; the dataset is memory-mapped Arrow."""
    from datasets import load_from_disk

    root = dataset_root(path)
    dataset = load_from_disk(str(root / "data"))
    extractor = NeurIPTFeatureExtractor.from_pretrained(root)
    manifest = json.loads((root / "manifest.json").read_text())
    check_prepared(root, dataset, extractor, manifest)
    return dataset, extractor, manifest


def check_prepared(root: Path, dataset, extractor: NeurIPTFeatureExtractor, manifest: dict):
    """The three parts of a prepared folder describe each other: the manifest counts the windows `data/` holds, and the
    windows are as long as `preprocessor_config.json` says. A folder written by an interrupted or mixed-up run fails
    here, by name, instead of training on windows the extractor would not make."""
    if manifest.get("windows", len(dataset)) != len(dataset):
        raise ValueError(
            f"{root}: manifest.json counts {manifest['windows']} windows but data/ holds {len(dataset)} (a run was "
            "interrupted between writing them, or the folder was edited); run `neuript prepare` on it again."
        )
    if len(dataset):
        length = len(dataset[0]["input_values"][0])
        if length != extractor.window_length:
            raise ValueError(
                f"{root}: the windows in data/ have {length} samples but preprocessor_config.json makes windows of "
                f"{extractor.window_seconds:g} s = {extractor.window_length} samples; the folder mixes two runs. "
                "Prepare again with `neuript prepare --overwrite` (or into a new folder)."
            )


class WindowCollator:
    """Collate rows of a prepared dataset into a model batch with `extractor.pad` (channels padded, `channel_mask`
    built). Labels are renamed `labels` (through `label_map` when given, e.g. 4 classes → face/house); metadata columns
    are dropped so `model(**batch)` receives model inputs only."""

    model_keys = ("input_values", "channel_positions", "channel_mask")

    def __init__(self, extractor: NeurIPTFeatureExtractor, with_labels: bool = False, label_map: Optional[dict] = None):
        self.extractor = extractor
        self.with_labels = with_labels
        self.label_map = label_map

    def __call__(self, rows: Sequence[dict]) -> dict:
        windows = [{"input_values": r["input_values"], "channel_positions": r["channel_positions"]} for r in rows]
        batch = self.extractor.pad(windows, return_tensors="pt")
        out = {key: batch[key] for key in self.model_keys}
        if self.with_labels:
            labels = [int(r["label"]) for r in rows]
            if self.label_map is not None:
                labels = [self.label_map[label] for label in labels]
            out["labels"] = torch.tensor(labels, dtype=torch.long)
        return out
