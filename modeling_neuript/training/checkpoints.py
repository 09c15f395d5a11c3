"""Writing checkpoints and run folders so that nothing is ever half-written: every folder is written under a temporary
name, fsynced and renamed into place in one step."""

import errno
import json
import os
import shutil
import tempfile
import uuid
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


def atomic_save(target: os.PathLike, write, replace: bool = True) -> Path:
    """Call `write(tmp_folder)`, fsync it, and rename it to `target` in one step; a crash at any point leaves either
    the old `target` or none, never a half-written one.

    Several processes may write one `target` at once (concurrent `neuript prepare` runs into one folder). With
    `replace=True` each moves the old folder aside under a name of its own and retries when another process put its
    folder in place between its two renames: the last writer wins and nobody fails. With `replace=False` an existing
    `target` is kept and ours discarded (the first writer wins), so a folder another process may be reading is never
    swapped under it."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{target.name}-", dir=target.parent))
    try:
        write(tmp)
        fsync_tree(tmp)
        if not replace:
            try:
                os.rename(tmp, target)
            except OSError as error:
                if error.errno not in (errno.ENOTEMPTY, errno.EEXIST) and not target.exists():
                    raise
            return target
        for _ in range(100):
            # A unique name: a fixed `.old-<name>` made two concurrent writers collide ("Directory not empty").
            old = target.with_name(f".old-{target.name}-{uuid.uuid4().hex}")
            try:
                os.replace(target, old)
            except FileNotFoundError:
                pass  # no target yet, or another writer moved it aside a moment ago
            try:
                os.replace(tmp, target)
                break
            except OSError as error:
                if error.errno not in (errno.ENOTEMPTY, errno.EEXIST):
                    raise
                # another writer's folder landed at `target` between our two renames: move it aside again
            finally:
                shutil.rmtree(old, ignore_errors=True)
        else:  # pragma: no cover - 100 lost races in a row
            raise OSError(f"Could not move {tmp} to {target}: other processes keep replacing it.")
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
