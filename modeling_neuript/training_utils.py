"""Pieces shared by `neuript pretrain`, `neuript finetune` and the demo: reading a prepared dataset, collating
windows, atomic writes, expert-load statistics. Not part of the Hub bundle."""

import json
import math
import os
import shutil
import tempfile
import warnings
from pathlib import Path
from typing import Optional, Sequence

import numpy as np
import torch

from .feature_extraction_neuript import NeurIPTFeatureExtractor


# ----------------------------------------------------------------------------------------------------------------------
# Prepared datasets
# ----------------------------------------------------------------------------------------------------------------------


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


# ----------------------------------------------------------------------------------------------------------------------
# Atomic writes
# ----------------------------------------------------------------------------------------------------------------------


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
    """`save_pretrained` of model + feature extractor (+ small JSON side files), atomically."""

    def write(tmp: Path):
        model.save_pretrained(tmp)
        if extractor is not None:
            extractor.save_pretrained(tmp)
        for name, content in extra_json.items():
            (tmp / f"{name}.json").write_text(json.dumps(content, indent=2) + "\n")

    return atomic_save(target, write)


# ----------------------------------------------------------------------------------------------------------------------
# Expert load
# ----------------------------------------------------------------------------------------------------------------------


def expert_load(router_logits: Sequence[torch.Tensor], config) -> list[dict]:
    """Per MoE module: the fraction of routing slots each expert received and its normalised entropy
    (1 = perfectly balanced, 0 = one expert takes everything)."""
    stats = []
    moe_layers = [i for i, e in enumerate(config.num_experts_per_layer) if e > 0]
    names = [f"layer{layer + 1}_{stage}" for layer in moe_layers for stage in ("time", "channel")]
    for name, logits in zip(names, router_logits):
        num_experts = logits.shape[-1]
        k = config.experts_per_token(num_experts)
        chosen = logits.detach().float().reshape(-1, num_experts).topk(k, dim=-1).indices
        counts = torch.bincount(chosen.reshape(-1), minlength=num_experts).float()
        fraction = counts / counts.sum()
        entropy = -(fraction * fraction.clamp(min=1e-12).log()).sum() / math.log(num_experts)
        stats.append({"module": name, "fraction": fraction.tolist(), "entropy": float(entropy), "top_k": k})
    return stats


def warn_on_collapse(stats: list[dict], threshold: float = 0.9) -> list[str]:
    """Warn (and return the modules) where one expert receives more than `threshold` of the tokens. Each token
    takes `top_k` distinct experts, so an expert's share of the tokens is its share of the routing slots × `top_k`
    (with top-2 routing one expert can hold at most half of the slots, and then it receives every token)."""
    collapsed = [
        s["module"] for s in stats
        if len(s["fraction"]) > s.get("top_k", 1) and max(s["fraction"]) * s.get("top_k", 1) > threshold
    ]
    if collapsed:
        warnings.warn(
            f"Expert collapse: in {collapsed} one expert receives more than {threshold:.0%} of the tokens. Raise "
            f"router_aux_loss_coef / importance_loss_weight, or use load_balance_loss='switch'.",
            stacklevel=2,
        )
    return collapsed


def subject_splits(subjects: Sequence[str]) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """Leave-one-subject-out folds: `(held_out_subject, train_indices, test_indices)`."""
    subjects = np.asarray(subjects)
    return [(s, np.flatnonzero(subjects != s), np.flatnonzero(subjects == s)) for s in sorted(set(subjects.tolist()))]


def time_ordered_split(indices: np.ndarray, starts: Sequence[float], test_fraction: float):
    """Within one subject: the last `test_fraction` of its windows in time are the test set (no overlap leakage)."""
    order = indices[np.argsort(np.asarray(starts)[indices], kind="stable")]
    cut = int(round(len(order) * (1 - test_fraction)))
    return order[:cut], order[cut:]


def enable_activation_checkpointing(model, offload: bool = False, blocks: bool = False) -> None:
    """Layer activation checkpointing through transformers — `activation_checkpointing_enable`, or its older name
    `gradient_checkpointing_enable` (deprecated, with a FutureWarning, where both exist) on releases without it —
    with the checkpointed layer inputs kept in pinned host memory if `offload`, and block checkpointing inside the
    layer checkpoints if `blocks` (`NeurIPTPreTrainedModel.enable_block_checkpointing`)."""
    enable = getattr(model, "activation_checkpointing_enable", None) or model.gradient_checkpointing_enable
    enable(**({"offload": True} if offload else {}))  # `offload` only when asked: older releases lack the argument
    model.enable_block_checkpointing(blocks)


def keep_freed_memory(enable: bool = True) -> bool:
    """Let glibc keep freed memory in the process instead of unmapping it (Linux with glibc only; returns whether it
    took effect).

    Why: glibc serves every allocation above 32 MiB with a fresh `mmap` and returns it to the system on free, so a
    training or inference step that allocates the same large activations again page-faults all of them back in. On
    the 2-core CPU machine this costs a third of the matrix-multiplication time: a 51,200 × 256 → 768 `F.linear`
    ran at 84–107 GFLOP/s with fresh allocations and at 142–162 GFLOP/s with this setting or with a preallocated
    output. The setting (no `mmap` for large blocks, no trimming of the heap top) is what the
    `MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=…` environment variables do, applied at run time with `mallopt`.
    The cost: the process keeps its peak heap until it exits. `enable=False` puts glibc's default values back, but
    not its dynamic mmap threshold (any `mallopt` of these switches that off for the life of the process).
    The training commands (`neuript pretrain`, `finetune`, `demo`, `reproduce`) call it; `neuript prepare`,
    whose memory use is meant to stay flat over long recordings, does not.
    """
    import ctypes
    import ctypes.util
    import sys

    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (e.g. musl)
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    m_trim_threshold, m_top_pad, m_mmap_max = -1, -2, -4
    if enable:
        settings = ((m_mmap_max, 0), (m_trim_threshold, 2**31 - 1), (m_top_pad, 256 * 2**20))
    else:  # glibc's defaults
        settings = ((m_mmap_max, 65536), (m_trim_threshold, 128 * 1024), (m_top_pad, 128 * 1024))
    return all(mallopt(option, value) == 1 for option, value in settings)
