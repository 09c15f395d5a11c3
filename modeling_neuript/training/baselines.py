"""The compact baselines every NeurIPT number stands beside, trained on exactly the windows, splits and seeds NeurIPT
gets (`neuript demo`, `neuript reproduce`, `neuript finetune --baselines`, `neuript benchmark`).

    windows = microvolt_windows(dataset, extractor)          # (N, C, T) µV, the model's windows before A-law
    rows = run_baselines(windows, labels, rate, split, seeds=[0, 1, 2])

The methods (`BASELINES`):

- "LogReg ERP waveform": standardised L2 logistic regression (C = 0.01) on the waveform itself, every other sample
  (32 Hz at the model's 64 Hz), all channels concatenated. The classic ERP decoder.
- "LogReg band power": the same regression on log power in 1-4, 4-8, 8-13 and 13-30 Hz per channel (Welch).
- "Tangent space + LogReg": the channels' covariance (OAS shrinkage) of each window, mapped to the tangent space at
  the training windows' Riemannian mean (pyriemann), then the same regression.
- "EEGNet", "ShallowFBCSPNet": braindecode's networks (EEGNet with its paper's max-norm constrained classifier), their
  kernel and pooling lengths scaled from the sampling rate they were designed for (EEGNet 128 Hz, ShallowFBCSPNet
  250 Hz) to the windows' rate, trained with AdamW (cosine
  schedule, 10 % warm-up) on the training windows; the epoch with the best validation balanced accuracy is kept
  (the same selection `neuript finetune` makes), or the last one when there is no validation set.

The logistic regressions fit on the training and validation windows together (they have nothing to select); the
networks train on the training windows and select on the validation windows. Each method sees µV windows; the
networks' inputs are divided by the training windows' standard deviation (one number).

Every function here imports its library when called: braindecode (through
`modeling_neuript.interop.braindecode_support.import_braindecode(allow_torchaudio_stand_in=True)`) only inside
`compact_network`, so importing this module changes nothing global.
"""

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

import numpy as np
import torch

BASELINES = ("LogReg ERP waveform", "LogReg band power", "Tangent space + LogReg", "EEGNet", "ShallowFBCSPNet")
NETWORKS = ("EEGNet", "ShallowFBCSPNet")
FAST_BASELINES = BASELINES[:3]  # the ones that take seconds, not minutes


@dataclass
class Split:
    """Window indices of one evaluation fold (into the arrays given to `run_baselines`)."""

    train: np.ndarray
    validation: np.ndarray
    test: np.ndarray


@dataclass
class NetworkRecipe:
    """How the compact networks are trained (same for every dataset; nothing is tuned per task)."""

    epochs: int = 40
    batch_size: int = 32
    learning_rate: float = 1e-3
    weight_decay: float = 1e-3
    warmup_fraction: float = 0.1


# ----------------------------------------------------------------------------------------------------------------------
# Windows and features
# ----------------------------------------------------------------------------------------------------------------------


# Windows whose channel lists differ in name are still one montage for the baselines when channel i sits at the same
# place in every window: a recipe's `channels: {nearest: [sites]}` picks, on each cap, the electrode nearest to each
# site, so subjects with different bad channels get different electrodes in the same site order.
SAME_SITE_TOLERANCE_M = 0.03


def microvolt_windows(dataset, extractor) -> np.ndarray:
    """`(N, C, T)` float64 µV windows of a prepared dataset (its `input_values` with the extractor's A-law undone).
    Channel i must be the same site in every window — the same name, or positions within `SAME_SITE_TOLERANCE_M` —
    because the baselines know channels only by their index."""
    from modeling_neuript.feature_extraction_neuript import a_law_expand

    names = dataset["channel_names"]
    if any(n != names[0] for n in names):
        counts = {len(n) for n in names}
        spread = None
        if len(counts) == 1:
            positions = np.stack(dataset.with_format("numpy")["channel_positions"]).astype(np.float64)  # (N, C, 3)
            spread = float(np.linalg.norm(positions - np.median(positions, axis=0), axis=-1).max())
        if spread is None or spread > SAME_SITE_TOLERANCE_M:
            found = sorted(counts) if spread is None else f"{len(names[0])} channels up to {spread * 1000:.0f} mm apart"
            raise ValueError(
                "The baselines need the same sites, in the same order, in every window (they know channels only by "
                f"their index); this dataset mixes montages ({found}). Prepare it with a recipe that picks one "
                "channel list (`channels: [names]`), or sites every recording has (`channels: {nearest: [sites]}`)."
            )
    values = np.stack(dataset.with_format("numpy")["input_values"]).astype(np.float64)
    return a_law_expand(values, extractor.alaw_A) if extractor.alaw_A is not None else values


def erp_features(windows: np.ndarray) -> np.ndarray:
    """The waveform at half the sampling rate, channels concatenated: `(N, C · ceil(T / 2))`."""
    return windows[..., ::2].reshape(len(windows), -1)


def band_power_features(windows: np.ndarray, rate: float) -> np.ndarray:
    """log power in delta, theta, alpha, beta (1-4, 4-8, 8-13, 13-30 Hz) per channel: `(N, C · 4)`."""
    from scipy.signal import welch

    freqs, power = welch(windows, fs=rate, nperseg=min(windows.shape[-1], int(rate)), axis=-1)
    bands = [(1, 4), (4, 8), (8, 13), (13, 30)]
    features = []
    for low, high in bands:
        inside = (freqs >= low) & (freqs < high)
        if not inside.any():  # a short window's coarse frequency grid: take the nearest bin
            inside = np.abs(freqs - (low + high) / 2) == np.abs(freqs - (low + high) / 2).min()
        features.append(np.log(power[..., inside].mean(-1) + 1e-6))
    return np.stack(features, axis=-1).reshape(len(windows), -1)


# ----------------------------------------------------------------------------------------------------------------------
# Methods: each returns class probabilities (N_test, K)
# ----------------------------------------------------------------------------------------------------------------------


def logistic_regression(train_x, train_y, test_x, seed: int, C: float = 0.01) -> np.ndarray:
    """Standardised L2 logistic regression; class probabilities of `test_x`."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    model = make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=3000, random_state=seed))
    model.fit(train_x, train_y)
    return model.predict_proba(test_x)


def tangent_space(train_windows, train_y, test_windows, seed: int) -> np.ndarray:
    """Covariance (OAS) → tangent space at the training Riemannian mean → standardised logistic regression."""
    from pyriemann.estimation import Covariances
    from pyriemann.tangentspace import TangentSpace
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    model = make_pipeline(Covariances(estimator="oas"), TangentSpace(metric="riemann"), StandardScaler(),
                          LogisticRegression(C=1.0, max_iter=3000, random_state=seed))
    model.fit(train_windows, train_y)
    return model.predict_proba(test_windows)


def build_network(name: str, n_chans: int, n_times: int, n_outputs: int, rate: float) -> torch.nn.Module:
    """braindecode's EEGNet or ShallowFBCSPNet with its temporal kernels and pooling scaled to `rate`."""
    import warnings

    from modeling_neuript.interop.braindecode_support import import_braindecode

    with warnings.catch_warnings():  # braindecode's import calls deprecated mne and pandas APIs (not ours to fix)
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        import_braindecode(allow_torchaudio_stand_in=True)
        from braindecode.models import EEGNet, ShallowFBCSPNet

    if name == "EEGNet":  # designed at 128 Hz: 0.5 s temporal kernel, 1/8 s separable kernel, pooling 4 then 8
        pool1 = 4 if n_times >= 32 else 2
        pool2 = 8 if n_times // pool1 >= 8 else max(1, n_times // pool1)
        # final_layer_with_constraint: the max-norm constrained classifier of the EEGNet paper (and no deprecation
        # warning from braindecode, which deprecates the unconstrained default)
        return EEGNet(n_chans=n_chans, n_outputs=n_outputs, n_times=n_times, kernel_length=max(4, round(rate / 2)),
                      depthwise_kernel_length=max(2, round(rate / 8)), pool1_kernel_size=pool1, pool2_kernel_size=pool2,
                      final_layer_with_constraint=True)
    if name == "ShallowFBCSPNet":  # designed at 250 Hz: 0.1 s temporal filter, 0.3 s pooling every 0.06 s
        filter_length = max(2, round(0.1 * rate))
        pool_length = min(max(2, round(0.3 * rate)), n_times - filter_length + 1)
        return ShallowFBCSPNet(n_chans=n_chans, n_outputs=n_outputs, n_times=n_times, filter_time_length=filter_length,
                               pool_time_length=pool_length, pool_time_stride=max(1, round(0.06 * rate)))
    raise ValueError(f"Unknown network {name!r}; the compact networks are {NETWORKS}.")


def compact_network(name: str, windows: np.ndarray, labels: np.ndarray, split: Split, rate: float, seed: int,
                    recipe: Optional[NetworkRecipe] = None) -> np.ndarray:
    """Train `name` (EEGNet or ShallowFBCSPNet) on `split.train`, keep the epoch best on `split.validation`
    (balanced accuracy; the last epoch without validation windows), and return class probabilities of `split.test`.
    Seeded: the same seed gives the same numbers on the same machine and library versions."""
    from sklearn.metrics import balanced_accuracy_score

    recipe = recipe or NetworkRecipe()
    classes = int(labels[np.concatenate([split.train, split.validation, split.test])].max()) + 1
    scale = float(windows[split.train].std()) or 1.0
    inputs = torch.as_tensor(windows / scale, dtype=torch.float32)
    targets = torch.as_tensor(labels, dtype=torch.long)
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    model = build_network(name, windows.shape[1], windows.shape[2], classes, rate)
    optimizer = torch.optim.AdamW(model.parameters(), lr=recipe.learning_rate, weight_decay=recipe.weight_decay)
    steps_per_epoch = math.ceil(len(split.train) / recipe.batch_size)
    total = recipe.epochs * steps_per_epoch
    warmup = max(1, int(recipe.warmup_fraction * total))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min(1.0, (step + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * min(1.0, step / total))))

    def predict(indices):
        model.eval()
        with torch.no_grad():
            return torch.cat([model(inputs[indices[i : i + 256]]).softmax(-1)
                              for i in range(0, len(indices), 256)]).numpy()

    best_score, best_state = -1.0, None
    for _ in range(recipe.epochs):
        model.train()
        order = split.train[torch.randperm(len(split.train), generator=generator).numpy()]
        for start in range(0, len(order), recipe.batch_size):
            batch = order[start : start + recipe.batch_size]
            if len(batch) < 2:  # batch norm needs two windows
                continue
            loss = torch.nn.functional.cross_entropy(model(inputs[batch]), targets[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
        if len(split.validation):
            score = balanced_accuracy_score(labels[split.validation], predict(split.validation).argmax(-1))
            if score > best_score:
                best_score, best_state = score, {k: v.clone() for k, v in model.state_dict().items()}
    if best_state is not None:
        model.load_state_dict(best_state)
    return predict(split.test)


def available_baselines(methods: Sequence[str] = BASELINES) -> tuple[list, str]:
    """`(methods that can run here, a note on those that cannot)`: EEGNet and ShallowFBCSPNet need braindecode
    (`pip install --no-deps braindecode==1.8.1` plus the dev extra); without it they are left out and the note says
    so, for the report to print."""
    wanted = [m for m in methods if m in NETWORKS]
    if not wanted:
        return list(methods), ""
    try:
        build_network(wanted[0], 2, 64, 2, 64.0)
    except ImportError as error:
        return [m for m in methods if m not in NETWORKS], (
            f"{' and '.join(wanted)} were not run: braindecode cannot be imported here ({error}). Install it with "
            "`pip install --no-deps braindecode==1.8.1` and the dev extra (`pip install -e .[dev]`).")
    return list(methods), ""


# ----------------------------------------------------------------------------------------------------------------------
# Scores and the driver
# ----------------------------------------------------------------------------------------------------------------------


def scores(labels: np.ndarray, probabilities: np.ndarray) -> dict:
    """Balanced accuracy, Cohen's κ and AUROC (one-vs-rest for > 2 classes; None when the test set holds one class)."""
    from sklearn.metrics import balanced_accuracy_score, cohen_kappa_score, roc_auc_score

    predicted = probabilities.argmax(-1)
    auc = None
    if len(np.unique(labels)) > 1:
        if probabilities.shape[1] == 2:
            auc = float(roc_auc_score(labels, probabilities[:, 1]))
        else:
            auc = float(roc_auc_score(labels, probabilities, multi_class="ovr", labels=list(range(probabilities.shape[1]))))
    return {"balanced_accuracy": float(balanced_accuracy_score(labels, predicted)),
            "cohen_kappa": float(cohen_kappa_score(labels, predicted)), "roc_auc": auc}


def baseline_probabilities(method: str, windows: np.ndarray, labels: np.ndarray, split: Split, rate: float,
                           seed: int, recipe: Optional[NetworkRecipe] = None) -> np.ndarray:
    """Class probabilities of the test windows from one baseline `method` (one of `BASELINES`)."""
    fit = np.concatenate([split.train, split.validation])
    if method == "LogReg ERP waveform":
        features = erp_features(windows)
        return logistic_regression(features[fit], labels[fit], features[split.test], seed)
    if method == "LogReg band power":
        features = band_power_features(windows, rate)
        return logistic_regression(features[fit], labels[fit], features[split.test], seed)
    if method == "Tangent space + LogReg":
        return tangent_space(windows[fit], labels[fit], windows[split.test], seed)
    if method in NETWORKS:
        return compact_network(method, windows, labels, split, rate, seed, recipe)
    raise ValueError(f"Unknown baseline {method!r}; the baselines are {BASELINES}.")


def run_baselines(windows: np.ndarray, labels: np.ndarray, rate: float, split: Split, seeds: Sequence[int],
                  methods: Sequence[str] = BASELINES, recipe: Optional[NetworkRecipe] = None) -> list[dict]:
    """One row `{method, seed, balanced_accuracy, cohen_kappa, roc_auc}` per method and seed on one split. The
    logistic regressions and the tangent space are deterministic given the split: they run once and their row is
    repeated for every seed, so each method has as many rows as NeurIPT."""
    labels = np.asarray(labels)
    for name, part in (("train", split.train), ("test", split.test)):
        if len(part) == 0:
            raise ValueError(f"The {name} set of this split is empty.")
        if (labels[part] < 0).any():
            raise ValueError(f"The {name} set holds windows outside the task (label -1); select them out first.")
    if len(np.unique(labels[split.train])) < 2:
        raise ValueError("The training set holds one class: no classifier can be trained on it.")
    rows = []
    for method in methods:
        if method not in BASELINES:
            raise ValueError(f"Unknown baseline {method!r}; the baselines are {BASELINES}.")
        deterministic = method not in NETWORKS
        fixed = None
        for seed in seeds:
            if deterministic and fixed is not None:
                rows.append({**fixed, "seed": seed})
                continue
            probabilities = baseline_probabilities(method, windows, labels, split, rate, seed, recipe)
            row = {"method": method, "seed": seed, **scores(labels[split.test], probabilities)}
            fixed = row if deterministic else None
            rows.append(row)
    return rows


def baselines_on_run(windows: np.ndarray, labels: np.ndarray, rate: float, run_dir, seed: int,
                     methods: Sequence[str] = BASELINES, recipe: Optional[NetworkRecipe] = None) -> list[dict]:
    """`run_baselines` on exactly the windows a `neuript finetune` run trained, validated and tested on (the indices
    in its `split.json`), seeded as that run was (520 + `seed`)."""
    used = json.loads((Path(run_dir) / "split.json").read_text())
    split = Split(*(np.asarray(used[k], dtype=int) for k in ("train", "validation", "test")))
    return run_baselines(windows, labels, rate, split, [520 + seed], methods, recipe)


def baselines_on_jobs(dataset, extractor, manifest: dict, jobs: Sequence[dict], methods: Sequence[str] = BASELINES,
                      recipe: Optional[NetworkRecipe] = None) -> list[tuple[dict, dict]]:
    """The baselines beside finished fine-tuning jobs of one prepared dataset (`neuript demo`, `neuript benchmark`,
    `neuript ablation`): for each job (`task` — a recipe task or `None` for the dataset's labels —, `run_dir`, `seed`),
    `baselines_on_run` on the job's own windows in µV, labelled for the job's task. Returns `(job, row)` pairs."""
    from modeling_neuript.data.splits import task_labels

    windows = microvolt_windows(dataset, extractor)
    raw = np.asarray(dataset["label"])
    pairs = []
    for job in jobs:
        label_map, _ = task_labels(manifest, job["task"])
        labels = np.array([label_map.get(int(label), -1) for label in raw])
        for row in baselines_on_run(windows, labels, float(extractor.sampling_rate), job["run_dir"], job["seed"],
                                    methods, recipe):
            pairs.append((job, row))
    return pairs


__all__ = ["BASELINES", "FAST_BASELINES", "NETWORKS", "NetworkRecipe", "Split", "available_baselines",
           "band_power_features", "baseline_probabilities", "baselines_on_jobs", "baselines_on_run", "build_network",
           "compact_network", "erp_features", "logistic_regression", "microvolt_windows", "run_baselines", "scores",
           "tangent_space"]
