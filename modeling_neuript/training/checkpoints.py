"""Writing checkpoints and run folders so that nothing is ever half-written: every folder is written under a temporary
name, fsynced and renamed into place in one step."""

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Optional

from modeling_neuript.feature_extraction_neuript import NeurIPTFeatureExtractor


def fsync_tree(folder: Path) -> None:
    """Flush every file of `folder` (and the folder itself) to disk before it is renamed into place."""
    for root, _, files in os.walk(folder):
        for name in files:
            with open(os.path.join(root, name), "rb") as handle:
                os.fsync(handle.fileno())
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def atomic_save(target: os.PathLike, write) -> Path:
    """Call `write(tmp_folder)`, fsync it, and rename it to `target` in one step; a crash at any point leaves either
    the old `target` or none, never a half-written one."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{target.name}-", dir=target.parent))
    try:
        write(tmp)
        fsync_tree(tmp)
        if target.exists():
            old = target.with_name(f".old-{target.name}")
            os.replace(target, old)
            os.replace(tmp, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return target


def save_checkpoint(model, extractor: Optional[NeurIPTFeatureExtractor], target: os.PathLike, **extra_json) -> Path:
    """`save_pretrained` of model + feature extractor (+ small JSON side files, written first so that the model card
    reads `evaluation.json`), atomically."""

    def write(tmp: Path):
        for name, content in extra_json.items():
            (tmp / f"{name}.json").write_text(json.dumps(content, indent=2) + "\n")
        model.save_pretrained(tmp)
        if extractor is not None:
            extractor.save_pretrained(tmp)

    return atomic_save(target, write)
