"""Splitting prepared windows for evaluation: by subject, by time or by a given assignment, never at random across
overlapping test windows; task label mappings from a recipe; class-stratified subsampling for low-label runs.

Split specs (`neuript finetune --split`, `neuript benchmark --split`):

- `loso:<subject>`: test on one subject, train on the others (leave one subject out);
- `within:<subject>` (or `within` for every subject): train on the first part of each subject's windows in time,
  test on the last `test_fraction` (time-ordered, so overlapping windows never straddle train and test);
- `given`: the assignment the dataset carries in its `fold` column (`train` / `test`, e.g. a competition's split of
  a trial file; see `modeling_neuript.data.trials`).

Validation (what early stopping and the best checkpoint are chosen on) comes out of the training windows of each
subject, `validation_fraction` of them, in one of three ways (`validation`):

- `"stratified"` (default): the last `validation_fraction` in time of each class, so every class is in it and the
  validation windows still come after the training windows of their class;
- `"shuffled"`: a seeded random `validation_fraction` of each class (for trial files whose order means nothing);
- `"time"`: the last `validation_fraction` of the windows in time, whatever their class (holds one class when the
  windows are sorted by class).
"""

import warnings
from typing import Optional, Sequence

import numpy as np

VALIDATION_MODES = ("stratified", "shuffled", "time")


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


def split_indices(subjects, starts, split: str, test_fraction: float, validation_fraction: float,
                  labels: Optional[Sequence[int]] = None, validation: str = "time", seed: int = 0,
                  folds: Optional[Sequence[str]] = None):
    """`(train, validation, test)` window indices for a split spec (see the module docstring). `labels` (a label of every
    window: the dataset's own labels stratify every task made of them) are needed for `validation="stratified"` or `"shuffled"`; `folds`
    (`train`/`test`/`""` per window) for `split="given"`."""
    subjects = np.asarray(subjects)
    everyone = sorted(set(subjects.tolist()))
    kind, _, subject = split.partition(":")
    if validation not in VALIDATION_MODES:
        raise ValueError(f"validation must be one of {VALIDATION_MODES}, got {validation!r}.")
    if validation != "time" and labels is None:
        raise ValueError(f"validation={validation!r} needs the windows' labels.")
    if kind == "given":
        if folds is None:
            raise ValueError("split 'given' needs a dataset with a 'fold' column (train/test per window): prepare a "
                             "trial file with a 'split' array (npz) or metadata column (-epo.fif).")
        folds = np.asarray(folds)
        if not (folds == "train").any() or not (folds == "test").any():
            raise ValueError("split 'given': the dataset's fold column must mark some windows 'train' and some 'test'.")
        test = np.flatnonzero(folds == "test")
        pools = [np.flatnonzero((subjects == s) & (folds == "train")) for s in everyone]
        pools = [pool for pool in pools if len(pool)]
    elif kind == "loso":
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
        raise ValueError(f"split must be 'loso:<subject>', 'within:<subject>', 'within' or 'given', got {split!r}.")
    train, held = [], []
    for pool in pools:
        head, tail = validation_split(pool, starts, validation_fraction, labels, validation, seed)
        train.append(head)
        held.append(tail)
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(held)), test


def warn_if_one_class(validation: np.ndarray, task_labels: np.ndarray, split: str) -> None:
    """Warn when a validation set holds fewer than two classes of the task (early stopping would follow noise)."""
    present = np.unique(np.asarray(task_labels)[validation])
    present = present[present >= 0]
    if len(validation) and len(present) < 2:
        warnings.warn(
            f"The validation set of split {split!r} holds {len(present)} class(es) in {len(validation)} windows: "
            "early stopping and the best checkpoint then follow noise. Use validation 'stratified' or 'shuffled', or "
            "a larger validation_fraction.", UserWarning, stacklevel=2)


def validation_split(pool: np.ndarray, starts, fraction: float, labels=None, mode: str = "time", seed: int = 0):
    """`(train, validation)` out of one subject's training windows `pool` (see the module docstring)."""
    if mode == "time" or labels is None:
        return time_ordered_split(pool, starts, fraction)
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    train, held = [], []
    for label in np.unique(labels[pool]):
        members = pool[labels[pool] == label]
        if mode == "stratified":
            head, tail = time_ordered_split(members, starts, fraction)
        else:
            count = int(round(len(members) * fraction))
            chosen = rng.permutation(len(members))
            head, tail = np.sort(members[chosen[count:]]), np.sort(members[chosen[:count]])
        train.append(head)
        held.append(tail)
    return np.concatenate(train), np.concatenate(held)


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


__all__ = ["VALIDATION_MODES", "split_indices", "subject_splits", "subsample", "task_labels", "time_ordered_split",
           "validation_split", "warn_if_one_class"]
