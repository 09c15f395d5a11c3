"""Shared pieces of the `neuript reproduce <experiment>` kit (not part of the Hub bundle).

Every experiment is a module `modeling_neuript.experiments.<name>` with one function

    run(args: ReproduceArguments) -> dict

that returns
    "rows":     list of flat dicts, one per measurement (seed, method/arm, metric values ...): the raw numbers;
    "summary":  markdown (tables of mean ± std over seeds, e.g. from `markdown_table(summarise(...))`);
    "notes":    markdown, what the numbers do and do not show (optional);
    "settings": dict of the sizes actually used (from `load_recipe`);
    "figures":  list of PNG paths the experiment wrote (the main one is `figure_path(args)`, i.e.
                `<output_dir>/<experiment>.png`).
`modeling_neuript.experiments.reproduce.run_reproduce` then writes `<output_dir>/<experiment>.md` and `.json`.

The API, in the order an experiment uses it:

    recipe = load_recipe(args)                       # configuration/reproduce/<experiment>.yaml at the chosen size
    cache = cache_dir(args)                          # prepared data and pretrained checkpoints, reused across runs
    events = prepare_face13(cache, recipe["sites"])  # labelled 1 s windows (Face13, face/house × upright/inverted)
    unlabelled = prepare_face13(cache, recipe["sites"], mode="pretraining",
                                window_seconds=recipe["pretrain_window_seconds"])
    split = load_split("loso:s02", events)           # fixed manifest configuration/reproduce/splits/face13.json
    checkpoint = pretrain(cache, unlabelled, recipe, seed=0, mask_strategy="random", mask_ratios=[0.5],
                          config_overrides={...})    # cached by a hash of every setting -> checkpoint folder
    encoder = load_encoder(checkpoint)               # or load_encoder(recipe["model"], config_overrides, seed=0): random init
    x = frozen_embeddings(encoder, events)           # (windows, features): IILP features of the frozen encoder
    y, names = task_targets(events, "face_vs_house") # (windows,) task labels, -1 for windows outside the task
    scores = linear_probe(x[train], y[train], x[test], y[test], seed=0)
    scores = finetune(cache / "runs" / "...", events, checkpoint_or_preset, recipe, task=..., split="loso:s02",
                      seed=0, train_fraction=0.1, config_overrides={...})
    table = markdown_table(summarise(rows, by=["method"]), by=["method"])

Sizes: `SIZES` holds the three presets (quick for CI, default for 2 CPU cores, full for a GPU); a recipe YAML may
override any key at the top level (all sizes) or under `quick:` / `default:` / `full:`. `load_recipe` merges
SIZES[size] ← recipe top level ← recipe[size] and returns one flat dict.

Protocol (shrunk from the paper's): Face13 has two subjects, so "held-out subjects" means leave-one-subject-out
(train on one subject, test on the other, both directions). Self-supervised pretraining uses the unlabelled
continuous windows of *both* subjects (no labels; the test subject's EEG is seen without labels, as in transductive
SSL) unless a recipe sets `pretrain_subjects`.
"""

import copy
import fcntl
import hashlib
import json
import os
import platform
import shutil
from pathlib import Path
from typing import Optional, Sequence

import numpy as np
import torch

from modeling_neuript.resources import resource_path
from modeling_neuript.training.benchmark import markdown_table

SITES_8 = ["F3", "F4", "C3", "C4", "P7", "P8", "O1", "O2"]

# A smaller encoder than neuript-tiny for the CI-sized runs (same layer/expert layout, hidden 16).
QUICK_MODEL = {"hidden_size": 16, "intermediate_size": 16, "num_attention_heads": 2, "expert_intermediate_size": 16,
               "shared_expert_intermediate_size": 16}

SIZES = {
    "quick": {
        "model": "neuript-tiny", "config_overrides": QUICK_MODEL, "sites": ["Fz", "C3", "C4", "O1", "O2"],
        "pretrain_window_seconds": 1.0,
        "pretrain_steps": 2, "pretrain_batch_size": 4, "pretrain_learning_rate": 2e-3,
        "finetune_epochs": 1, "finetune_batch_size": 32, "finetune_learning_rate": 1e-3,
        "max_windows_per_subject": 48, "embedding_batch_size": 64, "probe_C": 0.01,
        "task": "face_vs_house", "splits": ["loso:s02"],
    },
    "default": {
        "model": "neuript-tiny", "config_overrides": {}, "sites": SITES_8, "pretrain_window_seconds": 1.0,
        "pretrain_steps": 30, "pretrain_batch_size": 16, "pretrain_learning_rate": 2e-3,
        "finetune_epochs": 3, "finetune_batch_size": 32, "finetune_learning_rate": 1e-3,
        "max_windows_per_subject": None, "embedding_batch_size": 64, "probe_C": 0.01,
        "task": "face_vs_house", "splits": ["loso:s01", "loso:s02"],
    },
    "full": {
        "model": "neuript-small", "config_overrides": {},
        "sites": ["Fp1", "Fp2", "F7", "F3", "Fz", "F4", "F8", "T7", "C3", "Cz", "C4", "T8", "P7", "P3", "Pz", "P4",
                  "P8", "O1", "O2"],
        "pretrain_window_seconds": 4.0, "pretrain_steps": 2000, "pretrain_batch_size": 32,
        "pretrain_learning_rate": 3e-4, "finetune_epochs": 20, "finetune_batch_size": 32,
        "finetune_learning_rate": 1e-3, "max_windows_per_subject": None, "embedding_batch_size": 64, "probe_C": 0.01,
        "task": "face_vs_house", "splits": ["loso:s01", "loso:s02"],
    },
}
METRICS = ("balanced_accuracy", "cohen_kappa", "roc_auc")


# ----------------------------------------------------------------------------------------------------------------------
# Recipes and sizes
# ----------------------------------------------------------------------------------------------------------------------


def size_name(args) -> str:
    """'quick', 'full' or 'default' from the `--quick` / `--full` flags."""
    if args.quick and args.full:
        raise ValueError("--quick and --full exclude each other; pass one of them (or neither for the default size).")
    return "quick" if args.quick else "full" if args.full else "default"


def load_recipe(args, experiment: Optional[str] = None) -> dict:
    """The flat settings of `experiment` (default `args.experiment`) at the size `args` asks for:
    SIZES[size] ← configuration/reproduce/<experiment>.yaml top level ← its `quick:`/`default:`/`full:` section.
    Adds `size` and `seeds` (from `args.seeds`)."""
    import yaml

    experiment = experiment or args.experiment
    try:
        path = resource_path("configuration", f"reproduce/{experiment}.yaml")
    except ValueError as error:
        raise ValueError(f"No recipe for the experiment {experiment!r} ({error})") from None
    size = size_name(args)
    recipe = yaml.safe_load(path.read_text()) or {}
    settings = copy.deepcopy(SIZES[size])
    settings.update({k: v for k, v in recipe.items() if k not in SIZES})
    settings.update(recipe.get(size) or {})
    settings["size"] = size
    settings["seeds"] = [int(s) for s in args.seeds]
    if not settings["seeds"]:
        raise ValueError("--seeds needs at least one seed, e.g. --seeds 0 1 2.")
    return settings


def cache_dir(args) -> Path:
    path = Path(args.cache_dir)
    path.mkdir(parents=True, exist_ok=True)
    return path


def settings_key(settings: dict) -> str:
    """A short stable hash of a JSON-able dict (cache keys)."""
    return hashlib.sha1(json.dumps(settings, sort_keys=True, default=str).encode()).hexdigest()[:12]


def experiment_data(args) -> tuple:
    """What every experiment starts from: `(recipe, cache, events, unlabelled, labels, names)` — the merged recipe,
    the cache folder, the prepared labelled (events) and unlabelled (pretraining) Face13 folders, and the task's
    per-window targets with their class names."""
    recipe = load_recipe(args)
    cache = cache_dir(args)
    events = prepare_face13(cache, recipe["sites"])
    unlabelled = prepare_face13(cache, recipe["sites"], mode="pretraining", window_seconds=recipe["pretrain_window_seconds"])
    labels, names = task_targets(events, recipe["task"])
    return recipe, cache, events, unlabelled, labels, names


def save_figure(figure, args, suffix: str = "", **savefig) -> Path:
    """Write `figure` to `figure_path(args, suffix)` (110 dpi) and close it."""
    import matplotlib.pyplot as plt

    if not savefig.get("bbox_inches"):
        figure.tight_layout()
    path = figure_path(args, suffix)
    figure.savefig(path, dpi=110, **savefig)
    plt.close(figure)
    return path


def figure_path(args, suffix: str = "") -> Path:
    """`<output_dir>/<experiment><suffix>.png` (the folder is created)."""
    out = Path(args.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    return out / f"{args.experiment}{suffix}.png"


# ----------------------------------------------------------------------------------------------------------------------
# Data
# ----------------------------------------------------------------------------------------------------------------------


def prepare_face13(cache: Path, sites: Sequence[str], mode: str = "events", window_seconds: Optional[float] = None) -> Path:
    """Prepare Face13 once per (mode, sites, window) under `cache/data/` and return the dataset folder.
    `mode='events'`: stimulus-locked 1 s windows (processing/face13.yaml); `'pretraining'`: unlabelled continuous
    windows (processing/face13-pretraining.yaml) of `window_seconds`."""
    from modeling_neuript.data.prepare import prepare_recipe

    recipes = {"events": "face13", "pretraining": "face13-pretraining"}
    if mode not in recipes:
        raise ValueError(f"mode must be 'events' or 'pretraining', got {mode!r}.")
    key = settings_key({"mode": mode, "sites": list(sites), "window_seconds": window_seconds})
    return prepare_recipe(recipes[mode], list(sites), Path(cache) / "data" / f"{mode}-{key}", window_seconds)


def _window_fingerprint(dataset) -> str:
    """sha1 of the (subject, window start) list: identifies the windows independently of the channels chosen."""
    pairs = [f"{s}@{t:.4f}" for s, t in zip(dataset["subject"], dataset["window_start_seconds"])]
    return hashlib.sha1("\n".join(pairs).encode()).hexdigest()


def write_split_manifest(events: Path, path: Path) -> dict:
    """(Re)write a fixed split manifest (the shipped one is configuration/reproduce/splits/face13.json) from a prepared
    events dataset: LOSO and within-subject splits with the
    exact window indices (train / validation / test, as `neuript finetune` computes them)."""
    from modeling_neuript.data.reading import load_prepared
    from modeling_neuript.data.splits import split_indices

    dataset, _, manifest = load_prepared(events)
    subjects = np.asarray(dataset["subject"])
    starts = np.asarray(dataset["window_start_seconds"])
    splits = {}
    for spec in [f"loso:{s}" for s in sorted(set(subjects))] + [f"within:{s}" for s in sorted(set(subjects))]:
        train, validation, test = split_indices(subjects, starts, spec, 0.2, 0.15)
        splits[spec] = {"train": train.tolist(), "validation": validation.tolist(), "test": test.tolist()}
    content = {
        "dataset": "Face13 stimulus-locked 1 s windows, processing/face13.yaml (any channel subset)",
        "num_windows": len(dataset), "windows_sha1": _window_fingerprint(dataset),
        "test_fraction": 0.2, "validation_fraction": 0.15, "splits": splits,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(content) + "\n")
    return content


def load_split(spec: str, events: Path, path: Optional[Path] = None) -> dict:
    """`{"train", "validation", "test"}` index arrays of split `spec` (e.g. 'loso:s02') from the fixed manifest
    (default: the shipped configuration/reproduce/splits/face13.json), after checking that the prepared dataset holds exactly the windows the manifest was written for."""
    from modeling_neuript.data.reading import load_prepared

    path = path or resource_path("configuration", "reproduce/splits/face13.json")
    content = json.loads(Path(path).read_text())
    dataset, _, _ = load_prepared(events)
    if len(dataset) != content["num_windows"] or _window_fingerprint(dataset) != content["windows_sha1"]:
        raise ValueError(
            f"{events} does not hold the windows the split manifest {path} was written for ({len(dataset)} vs "
            f"{content['num_windows']} windows); re-prepare with processing/face13.yaml or rewrite the manifest "
            f"with write_split_manifest()."
        )
    if spec not in content["splits"]:
        raise ValueError(f"Split {spec!r} is not in {path}; it holds {sorted(content['splits'])}.")
    return {k: np.asarray(v, dtype=int) for k, v in content["splits"][spec].items()}


def limit_per_subject(indices: np.ndarray, subjects: np.ndarray, limit: Optional[int]) -> np.ndarray:
    """At most `limit` of `indices` per subject, evenly spaced in index order (quick runs); all when `limit` is None."""
    if limit is None:
        return np.asarray(indices)
    kept = []
    for subject in sorted(set(subjects[indices].tolist())):
        members = indices[subjects[indices] == subject]
        kept.append(members[np.linspace(0, len(members) - 1, min(limit, len(members))).round().astype(int)])
    return np.sort(np.concatenate(kept))


def site_labels(positions: np.ndarray, names: Sequence[str], sites: Sequence[str]) -> list[str]:
    """Readable labels for prepared channels: the recipe site each channel was chosen for (the nearest 10-05 site
    among `sites` to its position), with the recording's own name when it differs, e.g. 'O1 (A15)'."""
    import mne

    name = "colin27_1005" if "colin27_1005" in mne.channels.get_builtin_montages() else "standard_1005"  # renamed in 1.13
    template = mne.channels.make_standard_montage(name).get_positions()["ch_pos"]
    lookup = {k.upper(): np.asarray(v) for k, v in template.items()}
    known = [s for s in sites if s.upper() in lookup]
    labels = []
    for position, name in zip(np.asarray(positions), names):
        site = min(known, key=lambda s: np.linalg.norm(lookup[s.upper()] - position)) if known else name
        labels.append(site if site.upper() == str(name).upper() else f"{site} ({name})")
    return labels


def task_targets(events: Path, task: Optional[str]) -> tuple[np.ndarray, list]:
    """`(labels, names)`: the task label of every window (-1 where the task does not use the window)."""
    from modeling_neuript.data.reading import load_prepared
    from modeling_neuript.data.splits import task_labels

    dataset, _, manifest = load_prepared(events)
    label_map, names = task_labels(manifest, task)
    return np.array([label_map.get(int(l), -1) for l in dataset["label"]]), names


# ----------------------------------------------------------------------------------------------------------------------
# Models
# ----------------------------------------------------------------------------------------------------------------------


def config_file(cache: Path, model: str, config_overrides: Optional[dict]) -> str:
    """`model` itself when there is nothing to override, else a config JSON (in `cache/configs/`) of the preset
    `model` with `config_overrides` applied and validated."""
    if not config_overrides:
        return model
    from modeling_neuript.training.factory import resolve_config

    config = resolve_config(model, **config_overrides)
    path = Path(cache) / "configs" / f"{Path(model).stem}-{settings_key({'m': model, 'o': config_overrides})}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    config.to_json_file(path)
    return str(path)


def pretrain(cache: Path, dataset: Path, recipe: dict, seed: int, steps: Optional[int] = None,
             mask_strategy: Optional[str] = None, mask_ratios: Optional[Sequence[float]] = None,
             config_overrides: Optional[dict] = None) -> Path:
    """AAMP pretraining (`neuript pretrain`) of `recipe['model']` with `recipe['config_overrides']` updated by
    `config_overrides`; cached under `cache/pretrain/<hash of every setting>/model`, which is returned.
    `mask_strategy` ('amplitude' or 'random') and `mask_ratios` override the config's."""
    from modeling_neuript.training.pretrain import PretrainArguments
    from modeling_neuript.training.pretrain import pretrain as run

    overrides = {**(recipe.get("config_overrides") or {}), **(config_overrides or {})}
    if mask_strategy is not None:
        overrides["mask_strategy"] = mask_strategy
    if mask_ratios is not None:
        overrides["mask_ratios"] = [float(r) for r in mask_ratios]
    steps = int(steps or recipe["pretrain_steps"])
    settings = {"dataset": str(Path(dataset).resolve()), "model": recipe["model"], "overrides": overrides,
                "steps": steps, "batch": recipe["pretrain_batch_size"], "lr": recipe["pretrain_learning_rate"],
                "seed": seed}
    folder = Path(cache) / "pretrain" / settings_key(settings)
    final = folder / "model"
    if (final / "model.safetensors").exists():
        return final
    folder.parent.mkdir(parents=True, exist_ok=True)
    with open(folder.parent / f"{folder.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # experiments running side by side share checkpoints: one trains, others wait
        if (final / "model.safetensors").exists():
            return final
        shutil.rmtree(folder, ignore_errors=True)  # an interrupted run: start over (runs are short)
        folder.mkdir(parents=True)
        (folder / "settings.json").write_text(json.dumps(settings, indent=2, default=str) + "\n")
        run(PretrainArguments(
            dataset=str(dataset), output_dir=str(folder), model=config_file(cache, recipe["model"], overrides),
            max_steps=steps, per_device_batch_size=recipe["pretrain_batch_size"],
            learning_rate=recipe["pretrain_learning_rate"], save_steps=steps, save_total_limit=1,
            logging_steps=max(1, steps // 10), seed=1000 + seed, report_to="none", progress_bar=False,
        ))
        shutil.rmtree(folder / "checkpoints", ignore_errors=True)  # the export in model/ is all the kit reuses
    return final


def pretrain_history(checkpoint: Path) -> list[dict]:
    """The per-update loss records of a `pretrain` checkpoint."""
    return json.loads((Path(checkpoint) / "training_history.json").read_text())["history"]


def load_encoder(model: str, config_overrides: Optional[dict] = None, seed: int = 0, num_labels: int = 2):
    """A `NeurIPTForSequenceClassification` in eval mode: the encoder of a checkpoint folder, or a randomly
    initialised one (seeded) from a preset/config with `config_overrides`. Its `pooled_output` (IILP) has no
    trainable weights, so a frozen encoder's features do not depend on the (unused) classifier."""
    from modeling_neuript.training.factory import build_classifier

    path = Path(model)
    torch.manual_seed(seed)
    if path.is_dir() and (path / "model.safetensors").exists():
        model = build_classifier(str(path), num_labels, {i: str(i) for i in range(num_labels)}, **(config_overrides or {}))
    else:
        model = build_classifier(model, num_labels, {i: str(i) for i in range(num_labels)}, **(config_overrides or {}))
    return model.eval()


@torch.no_grad()
def frozen_embeddings(model, events: Path, indices: Optional[np.ndarray] = None, batch_size: int = 64) -> np.ndarray:
    """IILP features `(windows, R · G · hidden)` of a frozen encoder for the windows `indices` (all by default)."""
    from modeling_neuript.data.reading import WindowCollator, load_prepared

    dataset, extractor, _ = load_prepared(events)
    columns = dataset.select_columns(["input_values", "channel_positions"]).with_format("numpy")
    indices = np.arange(len(columns)) if indices is None else np.asarray(indices)
    collate = WindowCollator(extractor)
    model.eval()
    features = []
    for start in range(0, len(indices), batch_size):
        rows = columns[indices[start : start + batch_size]]
        batch = collate([dict(zip(rows, values)) for values in zip(*rows.values())])
        features.append(model(**batch).pooled_output.float().numpy())
    return np.concatenate(features)


def scores(labels: np.ndarray, probabilities: np.ndarray) -> dict:
    """Balanced accuracy, Cohen's κ and AUROC (one-vs-rest for > 2 classes) of class probabilities `(N, K)`."""
    from sklearn.metrics import balanced_accuracy_score, cohen_kappa_score, roc_auc_score

    predicted = probabilities.argmax(-1)
    if probabilities.shape[1] == 2:
        auc = roc_auc_score(labels, probabilities[:, 1])
    else:
        auc = roc_auc_score(labels, probabilities, multi_class="ovr", labels=list(range(probabilities.shape[1])))
    return {"balanced_accuracy": float(balanced_accuracy_score(labels, predicted)),
            "cohen_kappa": float(cohen_kappa_score(labels, predicted)), "roc_auc": float(auc)}


def linear_probe(train_x, train_y, test_x, test_y, seed: int = 0, C: float = 0.01) -> dict:
    """Standardised L2 logistic regression on frozen features (fit on train, scored on test): BAcc, κ, AUROC."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    train_y, test_y = np.asarray(train_y), np.asarray(test_y)
    if (train_y < 0).any() or (test_y < 0).any():
        raise ValueError("linear_probe got windows labelled -1 (outside the task); select them out first.")
    probe = make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=3000, random_state=seed))
    probe.fit(train_x, train_y)
    return scores(test_y, probe.predict_proba(test_x))


def finetune(run_dir: Path, events: Path, model: str, recipe: dict, task: Optional[str], split: str, seed: int,
             train_fraction: float = 1.0, epochs: Optional[int] = None, config_overrides: Optional[dict] = None,
             freeze_backbone: bool = False, lobe_grouping: Optional[str] = None, return_model: bool = False) -> dict:
    """`neuript finetune` (Trainer, early stopping on validation BAcc) of a checkpoint or preset on one split;
    returns `{balanced_accuracy, cohen_kappa, roc_auc, train_windows, test_windows}` on the test windows, after
    checking that the split used equals the fixed manifest. `config_overrides` apply to a preset (random init);
    with a checkpoint only `lobe_grouping` may change. Quick runs use `recipe['max_windows_per_subject']` through
    `train_fraction` (not for the test set). `return_model=True` adds the fine-tuned model (eval mode) as "model"."""
    import transformers

    from modeling_neuript.training.finetune import FinetuneArguments, FinetuneTrainingArguments
    from modeling_neuript.training.finetune import finetune as run

    transformers.logging.set_verbosity_error()
    is_checkpoint = Path(model).is_dir()
    if is_checkpoint and config_overrides:
        raise ValueError("config_overrides apply to a preset (random init); for a checkpoint pass lobe_grouping only.")
    if not is_checkpoint:
        model = config_file(Path(run_dir).parent, model, {**(recipe.get("config_overrides") or {}), **(config_overrides or {})})
    run_dir = Path(run_dir)
    if recipe.get("max_windows_per_subject"):
        split_train = load_split(split, events)["train"]
        train_fraction = train_fraction * min(1.0, recipe["max_windows_per_subject"] / max(1, len(split_train)))
    result = run(
        # The experiments' protocol, fixed here rather than taken from `neuript finetune`'s recipe defaults: the paper's
        # head (IILP, mean over time), time-ordered validation as in the split manifest, early stopping, no
        # augmentation; the baselines are reported once per experiment (`baseline_rows`), not per run.
        FinetuneArguments(dataset=str(events), task=task, split=split, model=str(model), train_fraction=train_fraction,
                          metrics=",".join(METRICS), early_stopping_patience=3, freeze_backbone=freeze_backbone,
                          lobe_grouping=lobe_grouping, validation="time", pooling_time_bins=0, layer_decay=1.0,
                          time_shift_seconds=0.0, amplitude_scale=0.0, channel_dropout=0.0, baselines="none"),
        FinetuneTrainingArguments(output_dir=str(run_dir), num_train_epochs=epochs or recipe["finetune_epochs"],
                                  seed=520 + seed, per_device_train_batch_size=recipe["finetune_batch_size"],
                                  learning_rate=recipe["finetune_learning_rate"], save_total_limit=1,
                                  disable_tqdm=True, logging_strategy="epoch", load_best_model_at_end=True),
    )
    used = json.loads((run_dir / "split.json").read_text())
    fixed = load_split(split, events)
    inside = np.flatnonzero(task_targets(events, task)[0] >= 0)  # the manifest covers every event; the task, some
    if used["test"] != np.intersect1d(fixed["test"], inside).tolist() or not set(used["train"]) <= set(fixed["train"].tolist()):
        raise ValueError(f"The split {split} used by finetune differs from configuration/reproduce/splits/face13.json.")
    shutil.rmtree(run_dir, ignore_errors=True)  # checkpoints of every fine-tuning run would fill the disk
    test = result["test"]
    out = {**{m: float(test[f"test_{m}"]) for m in METRICS if f"test_{m}" in test},
           "train_windows": result["sizes"]["train"], "test_windows": result["sizes"]["test"]}
    if return_model:
        out["model"] = result["model_object"].eval()
    return out


# ----------------------------------------------------------------------------------------------------------------------
# Baselines
# ----------------------------------------------------------------------------------------------------------------------


def baseline_rows(events: Path, recipe: dict, label_fractions: Sequence[float] = (1.0,)) -> list[dict]:
    """The compact baselines (`modeling_neuript.training.baselines`) on the experiment's own windows: the recipe's task
    and splits from the fixed manifest, each seed's class-stratified training subset as `finetune` draws it (seed
    520 + s, the same `max_windows_per_subject` cap), tested on the held-out subject. One row per (method, split,
    seed, label fraction)."""
    from modeling_neuript.data.reading import load_prepared
    from modeling_neuript.data.splits import subsample
    from modeling_neuript.training.baselines import (
        BASELINES,
        NetworkRecipe,
        Split,
        available_baselines,
        microvolt_windows,
        run_baselines,
    )

    dataset, extractor, _ = load_prepared(events)
    labels, _ = task_targets(events, recipe["task"])
    windows = microvolt_windows(dataset, extractor)
    inside = np.flatnonzero(labels >= 0)
    methods, note = available_baselines(BASELINES)
    network = NetworkRecipe(epochs=5) if recipe.get("size") == "quick" else None
    rows = []
    for spec in recipe["splits"]:
        split = load_split(spec, events)
        train, validation, test = (np.intersect1d(split[k], inside) for k in ("train", "validation", "test"))
        for seed in recipe["seeds"]:
            for nominal in label_fractions:
                fraction = float(nominal)
                if recipe.get("max_windows_per_subject"):  # as `finetune` caps quick runs
                    fraction *= min(1.0, recipe["max_windows_per_subject"] / max(1, len(split["train"])))
                chosen = subsample(train, labels, fraction, 520 + seed)
                for row in run_baselines(windows, labels, float(extractor.sampling_rate),
                                         Split(chosen, validation, test), [520 + seed], methods, network):
                    rows.append({**row, "seed": seed, "held_out": spec.split(":")[1], "label_fraction": float(nominal),
                                 "train_windows": len(chosen), "note": note})
    return rows


def baseline_section(rows: list[dict], by: Sequence[str] = ("method",)) -> str:
    """The markdown of the baseline rows: what they are, one table (mean ± std over seeds × held-out subjects)."""
    from modeling_neuript.training.baselines import BASELINES

    order = {m: i for i, m in enumerate(BASELINES)}
    table = summarise(sorted(rows, key=lambda r: tuple(order.get(r[k], r[k]) if k == "method" else r[k] for k in by)),
                      by=list(by))
    note = next((r["note"] for r in rows if r.get("note")), "")
    return f"""**Compact baselines on the same windows, splits and seeds** (`modeling_neuript/training/baselines.py`:
logistic regressions on the ERP waveform and on band power, tangent space + logistic regression, EEGNet and
ShallowFBCSPNet; trained on the training subject's windows — the networks select their epoch on the validation
windows — and tested on the held-out subject).{' ' + note if note else ''}

{markdown_table(table, by=list(by))}
"""


# ----------------------------------------------------------------------------------------------------------------------
# Tables
# ----------------------------------------------------------------------------------------------------------------------


def summarise(rows: list[dict], by: Sequence[str], metrics: Sequence[str] = METRICS) -> list[dict]:
    """Group `rows` by the keys `by` and give `{metric: (mean, std, n)}` per group (std over the rows: seeds and
    folds; population std, ddof=0), in first-seen order of the groups."""
    groups: dict = {}
    for row in rows:
        groups.setdefault(tuple(row[k] for k in by), []).append(row)
    table = []
    for key, members in groups.items():
        entry = dict(zip(by, key))
        entry["runs"] = len(members)
        for metric in metrics:
            values = np.array([m[metric] for m in members if m.get(metric) is not None], dtype=float)
            entry[metric] = (float(values.mean()), float(values.std()), int(len(values))) if len(values) else None
        table.append(entry)
    return table


def model_description(recipe: dict) -> str:
    """'`neuript-tiny` (hidden_size=16, ...)': the model a recipe trains, for report text."""
    overrides = recipe.get("config_overrides") or {}
    extra = " (" + ", ".join(f"{k}={v}" for k, v in overrides.items()) + ")" if overrides else ""
    return f"`{recipe['model']}`{extra}"


def environment() -> dict:
    """Date, machine and library versions for the report header."""
    import datetime

    import transformers

    threads = torch.get_num_threads()
    device = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "CPU"
    return {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs visible",
            "device": device, "torch_threads": threads, "torch": torch.__version__,
            "transformers": transformers.__version__, "python": platform.python_version()}
