"""Reading what `neuript prepare` wrote: the memory-mapped windows, their feature extractor and manifest, and a collator
that turns rows into model batches. Used by `neuript pretrain`, `neuript finetune`, the demo and the experiments."""

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
    return dataset, extractor, manifest


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


__all__ = ["WindowCollator", "dataset_root", "load_prepared"]
