"""Splitting prepared windows for evaluation: by subject or by time, never at random across overlapping windows; task
label mappings from a recipe; class-stratified subsampling for low-label runs."""

from typing import Optional, Sequence

import numpy as np


def task_labels(manifest: dict, task: Optional[str]) -> tuple[dict, list]:
    """`(dataset label → task label index, task label names)` from the recipe saved in the manifest."""
    recipe = manifest["recipe"]
    names = recipe.get("label_names") or sorted(recipe["windows"]["events"], key=recipe["windows"]["events"].get)
    if task is None:
        return {i: i for i in range(len(names))}, list(names)
    tasks = recipe.get("tasks") or {}
    if task not in tasks:
        raise ValueError(f"Task {task!r} is not in the recipe; it defines {sorted(tasks)}.")
    mapping = tasks[task]  # {dataset label name: task label name}
    task_names = list(dict.fromkeys(mapping.values()))
    return {names.index(source): task_names.index(target) for source, target in mapping.items()}, task_names


def split_indices(subjects, starts, split: str, test_fraction: float, validation_fraction: float):
    """`(train, validation, test)` window indices for a split spec (see the module docstring)."""
    subjects = np.asarray(subjects)
    everyone = sorted(set(subjects.tolist()))
    kind, _, subject = split.partition(":")
    if kind == "loso":
        if subject not in everyone:
            raise ValueError(f"loso needs one of the subjects {everyone}, got {subject!r}.")
        test = np.flatnonzero(subjects == subject)
        pools = [np.flatnonzero(subjects == s) for s in everyone if s != subject]
    elif kind == "within":
        chosen = [subject] if subject else everyone
        if subject and subject not in everyone:
            raise ValueError(f"within needs one of the subjects {everyone}, got {subject!r}.")
        pools, tests = [], []
        for s in chosen:
            head, tail = time_ordered_split(np.flatnonzero(subjects == s), starts, test_fraction)
            pools.append(head)
            tests.append(tail)
        test = np.concatenate(tests)
    else:
        raise ValueError(f"split must be 'loso:<subject>', 'within:<subject>' or 'within', got {split!r}.")
    train, validation = [], []
    for pool in pools:
        head, tail = time_ordered_split(pool, starts, validation_fraction)
        train.append(head)
        validation.append(tail)
    return np.concatenate(train), np.concatenate(validation), test


def subsample(indices: np.ndarray, labels: np.ndarray, fraction: float, seed: int) -> np.ndarray:
    """A class-stratified random `fraction` of `indices` (at least one window per class)."""
    if fraction >= 1.0:
        return indices
    rng = np.random.default_rng(seed)
    kept = []
    for label in np.unique(labels[indices]):
        members = indices[labels[indices] == label]
        count = max(1, int(round(fraction * len(members))))
        kept.append(rng.choice(members, size=count, replace=False))
    return np.sort(np.concatenate(kept))


def subject_splits(subjects: Sequence[str]) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """Leave-one-subject-out folds: `(held_out_subject, train_indices, test_indices)`."""
    subjects = np.asarray(subjects)
    return [(s, np.flatnonzero(subjects != s), np.flatnonzero(subjects == s)) for s in sorted(set(subjects.tolist()))]


def time_ordered_split(indices: np.ndarray, starts: Sequence[float], test_fraction: float):
    """Within one subject: the last `test_fraction` of its windows in time are the test set (no overlap leakage)."""
    order = indices[np.argsort(np.asarray(starts)[indices], kind="stable")]
    cut = int(round(len(order) * (1 - test_fraction)))
    return order[:cut], order[cut:]


__all__ = ["split_indices", "subject_splits", "subsample", "task_labels", "time_ordered_split"]
