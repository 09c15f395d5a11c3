"""`neuript demo`: the whole NeurIPT story on real EEG, on a laptop CPU, beside the compact baselines.

1. fetch Face13 (two subjects of a visual ERP study, from a pinned PyPI wheel) and prepare it twice: continuous 2 s
   windows for pretraining and event-locked 1 s windows of its three contrasts (8 sites of the 128-channel cap by
   default; the paper's preprocessing);
2. pretrain NeurIPT with AAMP on the unlabelled windows;
3. fine-tune it with `Trainer` (the recipe of `neuript finetune`) on three tasks — face vs house (visual, N170),
   checkerboard left vs right (lateralised visual) and button press left vs right (motor) — each leave one subject out
   and within subject (time-ordered: the first 80 % of each subject's trials train, the last 20 % test);
4. train the compact baselines (logistic regressions on the ERP waveform and on band power, tangent space + logistic
   regression, EEGNet, ShallowFBCSPNet; `modeling_neuript.training.baselines`) on exactly the same windows, splits and
   seeds;
5. print one table (BAcc, κ, AUROC: mean ± std over folds × seeds) and write `report.md` with PNGs: loss curves,
   confusion matrices of every task and split kind, and a topomap of channel importance (occlusion).

The default size (one seed, pretrained NeurIPT only) is sized for the 15-minute goal on 2 idle CPU cores (the measured
time is in docs/demo/report.md); it prints an estimate calibrated on this machine before it starts. `--full` adds the
from-scratch arm and seeds 0 1 2 (the protocol behind the README's six-cell claim; about 6 times longer). `--quick`
runs the same steps at a size meant for CI (one task, two splits, a few minutes): its numbers show the pipeline
works, not how well the model does.
"""

import json
import math
import time
from dataclasses import MISSING, asdict, dataclass, field, fields
from pathlib import Path
from typing import Optional

import numpy as np
import torch

from modeling_neuript.data.prepare import prepare_recipe
from modeling_neuript.training.benchmark import markdown_table, run_finetune_jobs, summarise

SITES_19 = ["Fp1", "Fp2", "F7", "F3", "Fz", "F4", "F8", "T7", "C3", "Cz", "C4", "T8", "P7", "P3", "Pz", "P4", "P8", "O1", "O2"]
SITES_8 = ["F3", "F4", "C3", "C4", "P7", "P8", "O1", "O2"]
TASKS = ("face_vs_house", "checker_left_vs_right", "press_left_vs_right")
SPLIT_KINDS = {"loso": "leave one subject out", "within": "within subject (time-ordered)"}
PRETRAINED, SCRATCH = "NeurIPT pretrained", "NeurIPT from scratch"
METRIC_NAMES = "balanced_accuracy,cohen_kappa,roc_auc"


@dataclass
class DemoArguments:
    output_dir: str = field(default="outputs/demo", metadata={"help": "Where data, runs and the report (report/report.md) are written."})
    quick: bool = field(default=False, metadata={"help": "The CI-sized version: one task, two splits, few steps."})
    full: bool = field(default=False, metadata={"help": "The full protocol: from-scratch arm too, seeds 0 1 2 (about 6× the default time)."})
    seeds: Optional[list[int]] = field(
        default=None,
        metadata={"help": "Fine-tuning seeds, e.g. --seeds 0 1 2 (run s trains with seed 520 + s); default 0 (full: 0 1 2)."},
    )
    pretrain_steps: Optional[int] = field(default=None, metadata={"help": "AAMP updates (default 120; quick 10)."})
    epochs: Optional[float] = field(default=None, metadata={"help": "Fine-tuning epochs (default: the recipe's, as in neuript finetune; quick 1)."})
    scratch: Optional[bool] = field(default=None, metadata={"help": "Also fine-tune from random init (default: with --full and --quick)."})
    workers: int = field(
        default=2, metadata={"help": "Fine-tuning runs in parallel processes (the CPU threads are shared among them; "
                                     "1 = one after another in this process)."}
    )
    sites: Optional[str] = field(default=None, metadata={"help": "Comma separated 10-20 sites (default F3,F4,C3,C4,P7,P8,O1,O2; 'all19' for the 19 sites)."})
    model: str = field(
        default="neuript-tiny-patch4",
        metadata={"help": "Preset to pretrain and fine-tune: neuript-tiny-patch4 (the recipe's: the tiny preset with 4-sample "
                          "tokens), neuript-tiny, neuript-fast, neuript-small or neuript-paper (the last two are GPU "
                          "sizes), or a config JSON."},
    )
    tasks: Optional[str] = field(default=None, metadata={"help": (
        "Comma separated tasks of face_vs_house, checker_left_vs_right, press_left_vs_right, four_class (default: the "
        "first three; with --quick: face_vs_house).")})
    splits: Optional[str] = field(
        default=None, metadata={"help": "Comma separated split specs (default: loso and within for every subject; "
                                        "quick: loso:s02,within:s01)."}
    )


def command_line(args: DemoArguments) -> str:
    """The `neuript demo` command that reproduces this run: every option that differs from its default."""
    parts = ["neuript demo"]
    for option in fields(DemoArguments):
        value = getattr(args, option.name)
        default = option.default_factory() if option.default_factory is not MISSING else option.default
        if value == default:
            continue
        if isinstance(value, bool):
            parts.append(f"--{option.name}" if value else f"--{option.name} false")
        elif isinstance(value, (list, tuple)):
            parts.append(f"--{option.name} " + " ".join(str(v) for v in value))
        else:
            parts.append(f"--{option.name} {value}")
    return " ".join(parts)


def _sizes(args: DemoArguments) -> dict:
    from modeling_neuript.training.finetune import RECIPE

    quick, full = args.quick, args.full
    if quick and full:
        raise ValueError("--quick and --full exclude each other.")
    seeds = args.seeds if args.seeds is not None else ([0, 1, 2] if full else [0])
    return {
        "tasks": (args.tasks or ("face_vs_house" if quick else ",".join(TASKS))).split(","),
        "splits": None if args.splits is None and not quick else (args.splits or "loso:s02,within:s01").split(","),
        "sites": SITES_19 if args.sites == "all19" else (args.sites.split(",") if args.sites else SITES_8),
        "seeds": [int(s) for s in seeds],
        "scratch": args.scratch if args.scratch is not None else (full or quick),
        "pretrain_steps": args.pretrain_steps or (10 if quick else 120),
        "epochs": args.epochs or (1 if quick else RECIPE["num_train_epochs"]),
        "finetune_learning_rate": RECIPE["learning_rate"],
        "pretrain_learning_rate": 5e-4,
        "pretrain_window_seconds": 2.0,
        "network_epochs": 5 if quick else None,  # None: the baselines' own recipe
    }


def _describe(sizes: dict, args: DemoArguments, specs: list, runs: int) -> str:
    """The first line the demo prints: what it is about to do, in words."""
    arms = "pretrained and from scratch" if sizes["scratch"] else "pretrained"
    size = "quick" if args.quick else "full" if args.full else "default"
    return (f"NeurIPT demo ({size} size): {len(sizes['tasks'])} task(s) ({', '.join(sizes['tasks'])}) × "
            f"{len(specs)} split(s) ({', '.join(specs)}) × "
            f"{len(sizes['seeds'])} seed(s); `{args.model}` {arms} ({runs} fine-tuning runs of up to "
            f"{sizes['epochs']:g} epochs, {sizes['pretrain_steps']} AAMP updates) beside 5 baselines, on "
            f"{len(sizes['sites'])} sites ({', '.join(sizes['sites'])}).")


# ----------------------------------------------------------------------------------------------------------------------
# Time estimate
# ----------------------------------------------------------------------------------------------------------------------


def _seconds_per_step(model, inputs: dict, steps: int = 2) -> float:
    """Wall seconds of one training step of `model` on `inputs`, on this machine now (one warm-up step first)."""
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
    model.train()
    times = []
    for step in range(steps + 1):
        begin = time.perf_counter()
        output = model(**inputs)
        output.loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        if step:
            times.append(time.perf_counter() - begin)
    return float(np.median(times))


def estimate_seconds(model_name: str, labelled_rows: dict, pretrain_rows: dict, sizes: dict, train_windows: list,
                     workers: int) -> float:
    """Calibrated estimate of the demo's wall time: a few training steps of the model timed here, times the steps the
    run will take (pretraining, then fine-tuning runs shared by `workers` processes, plus evaluation and baselines)."""
    from modeling_neuript.modeling_neuript import NeurIPTForPretraining
    from modeling_neuript.training.factory import build_classifier, resolve_config

    threads = torch.get_num_threads()
    torch.manual_seed(0)
    pretrain_model = NeurIPTForPretraining(resolve_config(model_name))
    pretrain_step = _seconds_per_step(pretrain_model, pretrain_rows)
    from modeling_neuript.training.finetune import RECIPE

    classifier = build_classifier(model_name, 2, {0: "a", 1: "b"}, pooling_time_bins=RECIPE["pooling_time_bins"] or None)
    torch.set_num_threads(max(1, threads // max(1, workers)))
    try:
        finetune_step = _seconds_per_step(classifier, labelled_rows)
    finally:
        torch.set_num_threads(threads)
    steps = sum(math.ceil(n / 32) for n in train_windows) * sizes["epochs"]
    evaluation = 0.5  # validation and test passes, checkpoints: about half a training pass more (measured)
    finetune = steps * finetune_step * (1 + evaluation) / max(1, workers)
    return sizes["pretrain_steps"] * pretrain_step + finetune + 5.0 * len(train_windows)  # + baselines


# ----------------------------------------------------------------------------------------------------------------------
# Pictures
# ----------------------------------------------------------------------------------------------------------------------


def _plot_losses(pretrain_history, finetune_histories, title: str, path: Path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, 2, figsize=(11, 4))
    steps = [h["step"] for h in pretrain_history]
    axes[0].plot(steps, [h["reconstruction_loss"] for h in pretrain_history], label="masked ℓ1 (AAMP)")
    axes[0].set(xlabel="update", ylabel="loss", title="Pretraining")
    axes[0].legend()
    for label, history in finetune_histories.items():
        points = [(h["epoch"], h["loss"]) for h in history if "loss" in h and "epoch" in h]
        evals = [(h["epoch"], h["eval_loss"]) for h in history if "eval_loss" in h]
        if points:
            axes[1].plot(*zip(*points), label=f"{label} train")
        if evals:
            axes[1].plot(*zip(*evals), "--", label=f"{label} validation")
    axes[1].set(xlabel="epoch", ylabel="cross-entropy", title=f"Fine-tuning ({title})")
    axes[1].legend(fontsize=7)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def _plot_confusions(confusions: dict, path: Path):
    """One normalised confusion matrix per (task, split kind): rows = true class, fractions of that class."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import ConfusionMatrixDisplay

    tasks = list(dict.fromkeys(task for task, _ in confusions))
    kinds = list(dict.fromkeys(kind for _, kind in confusions))
    figure, axes = plt.subplots(len(kinds), len(tasks), figsize=(3.6 * len(tasks), 3.4 * len(kinds)), squeeze=False)
    for (task, kind), (matrix, names, method) in confusions.items():
        axis = axes[kinds.index(kind), tasks.index(task)]
        normalised = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
        ConfusionMatrixDisplay(normalised, display_labels=names).plot(ax=axis, colorbar=False, values_format=".2f",
                                                                      cmap="Blues")
        axis.set_title(f"{task}\n{kind}\n{method}, {int(matrix.sum())} test trials", fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def channel_importance(model, dataset, indices, collator) -> np.ndarray:
    """Occlusion: for each channel, how much the mean log-probability of the true class falls when that channel is
    masked out (as padding). Positive: the model relies on the channel; negative: it does better without it."""
    rows = dataset[indices[:200]]
    batch = collator([dict(zip(rows, values)) for values in zip(*rows.values())])
    labels = batch.pop("labels")
    model.eval()
    with torch.no_grad():
        def score(mask):
            logits = model(batch["input_values"], batch["channel_positions"], channel_mask=mask).logits
            return logits.log_softmax(-1).gather(1, labels[:, None]).mean().item()

        base = score(batch["channel_mask"])
        drops = []
        for channel in range(batch["input_values"].shape[1]):
            mask = batch["channel_mask"].clone()
            mask[:, channel] = 0
            drops.append(base - score(mask))
    return np.array(drops)


def _plot_topomap(importance: np.ndarray, positions: np.ndarray, labels: list, title: str, path: Path):
    """Signed channel importance on the head, labelled with the sites the user asked for (the recording's own name
    in brackets when it differs), a diverging map centred on zero."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import mne

    info = mne.create_info([f"ch{i}" for i in range(len(labels))], 64.0, "eeg")
    montage = mne.channels.make_dig_montage({f"ch{i}": p for i, p in enumerate(np.asarray(positions, dtype=float))},
                                            coord_frame="head")
    info.set_montage(montage)
    limit = float(np.abs(importance).max()) or 1.0
    figure, axis = plt.subplots(figsize=(5.2, 4.6))
    image, _ = mne.viz.plot_topomap(importance, info, axes=axis, show=False, cmap="RdBu_r", vlim=(-limit, limit),
                                    contours=0, names=list(labels), sensors="k.")
    for line in list(axis.lines):  # mne draws the names only with sensor markers: keep the names, drop the markers
        if line.get_marker() == ".":
            line.remove()
    for text in axis.texts:
        text.set_fontsize(7)
        text.set_bbox(dict(boxstyle="round,pad=0.15", facecolor="white", edgecolor="none", alpha=0.7))
    figure.colorbar(image, ax=axis, label="fall in mean log p(true class)\nwhen the channel is masked\n"
                                          "(> 0: the model relies on it; < 0: better without it)")
    axis.set_title(title, fontsize=9)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


# ----------------------------------------------------------------------------------------------------------------------
# The demo
# ----------------------------------------------------------------------------------------------------------------------


def _run_dir(out: Path, task: str, split: str, method: str, seed: int) -> Path:
    """Where one fine-tuning run of the demo writes (e.g. `finetune/face_vs_house/loso-s02/pretrained/seed0`)."""
    return out / "finetune" / task / split.replace(":", "-") / method.split()[-1] / f"seed{seed}"


def _read_split(run_dir) -> dict:
    """The window indices (`train`, `validation`, `test`) a `neuript finetune` run used, as it wrote them."""
    return json.loads((Path(run_dir) / "split.json").read_text())


def _one_batch(dataset, extractor, indices, with_labels=True) -> dict:
    from modeling_neuript.data.reading import WindowCollator

    columns = dataset.select_columns(["input_values", "channel_positions", "label"]).with_format("numpy")
    rows = columns[np.asarray(indices)]
    batch = WindowCollator(extractor, with_labels=with_labels, label_map={i: i % 2 for i in range(64)})(
        [dict(zip(rows, values)) for values in zip(*rows.values())])
    return batch


def finetune_job_spec(dataset, run_dir, task: str, split: str, model: str, seed: int, epochs: float,
                      learning_rate: float, disable_tqdm: bool, finetune: Optional[dict] = None,
                      training: Optional[dict] = None) -> dict:
    """One fine-tuning job of the demo (for `run_finetune_jobs`); `neuript ablation` builds its arms' jobs here too,
    with the arm's `finetune` / `training` option changes on top, so an unchanged arm is the demo's job."""
    return {
        "task": task, "split": split, "seed": seed, "run_dir": str(run_dir),
        "args": {"dataset": str(dataset), "task": task, "split": split, "model": model, "metrics": METRIC_NAMES,
                 "baselines": "none", **(finetune or {})},
        "training_args": {"output_dir": str(run_dir), "num_train_epochs": epochs, "seed": 520 + seed,
                          "save_total_limit": 1, "learning_rate": learning_rate, "disable_tqdm": disable_tqdm,
                          **(training or {})},
    }


def run_demo(args: DemoArguments) -> int:
    import transformers
    from datasets import disable_progress_bars
    from sklearn.metrics import confusion_matrix
    from tqdm.auto import tqdm

    from modeling_neuript.data.reading import WindowCollator, load_prepared
    from modeling_neuript.data.splits import split_indices, task_labels
    from modeling_neuript.experiments.common import site_labels
    from modeling_neuript.training.baselines import (
        BASELINES,
        NetworkRecipe,
        available_baselines,
        baselines_on_jobs,
    )
    from modeling_neuript.training.pretrain import PretrainArguments, pretrain

    transformers.logging.set_verbosity_error()
    disable_progress_bars()
    sizes = _sizes(args)
    out = Path(args.output_dir)
    report = out / "report"
    report.mkdir(parents=True, exist_ok=True)
    clock = {"start": time.perf_counter()}

    import yaml

    from modeling_neuript.resources import recipe_path

    subjects = yaml.safe_load(recipe_path("face13").read_text())["source"]["subjects"]
    specs = sizes["splits"] or [f"loso:{s}" for s in subjects] + [f"within:{s}" for s in subjects]
    splits = [(spec, SPLIT_KINDS[spec.split(":")[0]]) for spec in specs]
    methods = [(PRETRAINED, "pretrained")] + ([(SCRATCH, args.model)] if sizes["scratch"] else [])
    print(_describe(sizes, args, specs, len(sizes["tasks"]) * len(splits) * len(sizes["seeds"]) * len(methods)),
          flush=True)

    # 1. data -----------------------------------------------------------------------------------------------------
    unlabelled = prepare_recipe("face13-pretraining", sizes["sites"], out / "data", sizes["pretrain_window_seconds"])
    labelled = prepare_recipe("face13", sizes["sites"], out / "data")
    dataset, extractor, manifest = load_prepared(labelled)
    raw_labels = np.asarray(dataset["label"])
    starts = np.asarray(dataset["window_start_seconds"])
    train_windows = []
    for task in sizes["tasks"]:
        label_map, _ = task_labels(manifest, task)
        inside = np.isin(raw_labels, list(label_map))
        for spec, _ in splits:
            train, _, _ = split_indices(np.asarray(dataset["subject"]), starts, spec, 0.2, 0.15, labels=raw_labels,
                                        validation="stratified")
            train_windows += [int(inside[train].sum())] * len(sizes["seeds"]) * len(methods)
    unlabelled_set, _, _ = load_prepared(unlabelled)
    pretrain_batch = _one_batch(unlabelled_set, extractor, np.arange(8), with_labels=False)
    estimate = estimate_seconds(args.model, _one_batch(dataset, extractor, np.arange(32)), pretrain_batch, sizes,
                                train_windows, args.workers)
    print(f"Estimated time on this machine now: about {max(1, round(estimate / 60))} min (a few training steps timed "
          f"here, times the steps this run takes; other programs using the CPU make it longer).", flush=True)
    clock["prepare"] = time.perf_counter()

    # 2. AAMP pretraining -------------------------------------------------------------------------------------------
    pretrained = out / "pretrain" / "model"
    if not (pretrained / "model.safetensors").exists():
        summary = pretrain(PretrainArguments(
            dataset=str(unlabelled), output_dir=str(out / "pretrain"), model=args.model,
            max_steps=sizes["pretrain_steps"], per_device_batch_size=8, learning_rate=sizes["pretrain_learning_rate"],
            save_steps=sizes["pretrain_steps"], logging_steps=10, report_to="none",
        ))
        pretrain_history = summary["history"]
    else:
        pretrain_history = json.loads((pretrained / "training_history.json").read_text())["history"]
    clock["pretrain"] = time.perf_counter()

    # 3. fine-tuning -------------------------------------------------------------------------------------------------
    jobs = []
    for task in sizes["tasks"]:
        for split, kind in splits:
            for seed in sizes["seeds"]:
                for method, model in methods:
                    run_dir = _run_dir(out, task, split, method, seed)
                    jobs.append({
                        "split_kind": kind, "method": method,
                        **finetune_job_spec(labelled, run_dir, task, split,
                                            str(pretrained) if model == "pretrained" else model, seed,
                                            sizes["epochs"], sizes["finetune_learning_rate"], args.workers > 1),
                    })
    results = run_finetune_jobs(jobs, args.workers, tqdm)
    clock["finetune"] = time.perf_counter()

    # 4. baselines on the same windows, splits and seeds ---------------------------------------------------------------
    baseline_methods, missing_note = available_baselines(BASELINES)
    network_recipe = NetworkRecipe(epochs=sizes["network_epochs"]) if sizes["network_epochs"] else None
    rows, confusions, predictions = [], {}, {}
    for job, result in zip(jobs, results):
        test = result["test"]
        rows.append({"task": job["task"], "split": job["split"], "split_kind": job["split_kind"], "method": job["method"],
                     "seed": job["seed"], **{m: test.get(f"test_{m}") for m in METRIC_NAMES.split(",")}})
        key = (job["task"], job["split_kind"], job["method"])
        true, predicted = predictions.setdefault(key, ([], []))
        true.extend(np.asarray(result["test_labels"]).tolist())
        predicted.extend(np.asarray(result["test_logits"]).argmax(-1).tolist())
    pretrained_jobs = [job for job in jobs if job["method"] == PRETRAINED]
    for job, row in baselines_on_jobs(dataset, extractor, manifest, pretrained_jobs, baseline_methods, network_recipe):
        rows.append({"task": job["task"], "split": job["split"], "split_kind": job["split_kind"], **row,
                     "seed": job["seed"]})
    clock["baselines"] = time.perf_counter()

    # 5. report ------------------------------------------------------------------------------------------------------
    for (task, kind, method), (true, predicted) in predictions.items():
        if method == PRETRAINED:
            _, names = task_labels(manifest, task)
            confusions[(task, kind)] = (confusion_matrix(true, predicted, labels=range(len(names))), names, method)
    order = {m: i for i, m in enumerate([PRETRAINED, SCRATCH, *BASELINES])}
    table = summarise(sorted(rows, key=lambda r: (sizes["tasks"].index(r["task"]), r["split_kind"], order[r["method"]])))
    text = markdown_table(table)
    focus = next(j for j in jobs if j["method"] == PRETRAINED)
    histories = {j["method"]: r["log_history"] for j, r in zip(jobs, results)
                 if (j["task"], j["split"], j["seed"]) == (focus["task"], focus["split"], focus["seed"])}
    _plot_losses(pretrain_history, histories, f"{focus['task']}, {focus['split']}", report / "loss_curves.png")
    _plot_confusions(confusions, report / "confusion_matrices.png")
    importance_job = next((j for j in jobs if j["method"] == PRETRAINED and j["task"] == "face_vs_house"
                           and j["split"].startswith("loso")), focus)
    from modeling_neuript.modeling_neuript import NeurIPTForSequenceClassification

    label_map, _ = task_labels(manifest, importance_job["task"])
    test_idx = np.array(_read_split(importance_job["run_dir"])["test"])
    columns = dataset.select_columns(["input_values", "channel_positions", "label"]).with_format("numpy")
    classifier = NeurIPTForSequenceClassification.from_pretrained(Path(importance_job["run_dir"]) / "model")
    importance = channel_importance(classifier, columns, test_idx,
                                    WindowCollator(extractor, with_labels=True, label_map=label_map))
    first = dataset[int(test_idx[0])]
    positions = np.asarray(first["channel_positions"])
    sites = [label.split(" (")[0] for label in site_labels(positions, first["channel_names"], sizes["sites"])]
    _plot_topomap(importance, positions, sites,
                  f"Channel importance (occlusion), {importance_job['task']}\n{PRETRAINED}, {importance_job['split']}, "
                  f"{min(200, len(test_idx))} test trials", report / "channel_importance_topomap.png")
    timings = {
        "prepare_and_estimate_s": clock["prepare"] - clock["start"], "pretrain_s": clock["pretrain"] - clock["prepare"],
        "finetune_s": clock["finetune"] - clock["pretrain"], "baselines_s": clock["baselines"] - clock["finetune"],
        "total_s": time.perf_counter() - clock["start"], "estimate_s": estimate,
    }
    recon = [h["reconstruction_loss"] for h in pretrain_history]
    verdict = _verdict(table, sizes["tasks"])
    from modeling_neuript.training.finetune import RECIPE

    (report / "results.json").write_text(json.dumps({"rows": rows, "table": table, "timings": timings,
                                                      "sizes": sizes, "args": asdict(args), "recipe": RECIPE},
                                                     indent=2, default=float))
    size = "quick" if args.quick else "full" if args.full else "default"
    command = command_line(args)
    (report / "report.md").write_text(f"""# NeurIPT demo on Face13 ({size} size)

Data: Face13 (2 subjects, 128-channel BioSemi, 256 Hz, from the pylossless 0.2.0 wheel), the {len(sizes['sites'])}
cap electrodes nearest to {', '.join(sizes['sites'])}; paper preprocessing (0.1-30 Hz, notch, 64 Hz, µV, A-law A =
0.25); windows −0.2…0.8 s around each event, baseline-corrected on −0.2…0 s.
Tasks: {', '.join(sizes['tasks'])} (chance: BAcc 0.5, κ 0, AUROC 0.5).
Split kinds: **leave one subject out** (train on one subject, test on the other; both directions) and **within subject
(time-ordered)** (for each subject, the first 80 % of its trials in time train — 15 % of those, the last of each class,
validate — and the last 20 % test; never a random split across neighbouring trials).
Pretraining: `{args.model}`, AAMP, {sizes['pretrain_steps']} updates on {sizes['pretrain_window_seconds']:.0f} s windows
(peak learning rate {sizes['pretrain_learning_rate']:g}); masked ℓ1 loss {np.mean(recon[:5]):.3f} (first 5 updates) →
{np.mean(recon[-10:]):.3f} (last 10).
NeurIPT fine-tuning: the recipe of `neuript finetune` (docs/ablation.md): {sizes['epochs']:g} epochs, peak learning
rate {sizes['finetune_learning_rate']:g}, {len(sizes['seeds'])} seed(s), {args.workers} run(s) at a time.
Baselines: trained on exactly the same training / validation / test windows and seeds
(`modeling_neuript/training/baselines.py`).{' ' + missing_note if missing_note else ''}

{text}

{verdict}

Timings on this machine (s): {', '.join(f'{k} {v:.0f}' for k, v in timings.items())}.

Reproducibility: every fine-tuning run and every network baseline is seeded (seed 520 + s), and the logistic
regressions and tangent space are deterministic given the split, so a rerun with the same command, `--workers`, torch
thread count, machine and library versions gives the same table. Other thread counts, CPUs or library versions change
the order of floating-point sums, and with it the last digits of some rows.

![losses](loss_curves.png)
![confusions](confusion_matrices.png)
![importance](channel_importance_topomap.png)

Reproduce: `{command}`
""")
    print(text)
    print(verdict)
    print(f"report: {report / 'report.md'}  ({timings['total_s']:.0f} s; estimated {estimate:.0f} s)")
    return 0


def _verdict(table: list[dict], tasks) -> str:
    """Where NeurIPT stands, cell by cell (task × split kind) and on the average over the cells, against the best
    compact baseline and the logistic regressions."""
    from modeling_neuript.training.baselines import BASELINES

    compact = ("Tangent space + LogReg", "EEGNet", "ShallowFBCSPNet")
    cells = list(dict.fromkeys((e["task"], e["split_kind"]) for e in table))
    value = {(e["task"], e["split_kind"], e["method"]): e["balanced_accuracy"][0] for e in table
             if e["balanced_accuracy"] is not None}
    lines = []
    for task, kind in cells:
        ours = value.get((task, kind, PRETRAINED))
        others = [(value[(task, kind, m)], m) for m in BASELINES if (task, kind, m) in value]
        if ours is None or not others:
            continue
        best, name = max(others)
        scratch = value.get((task, kind, SCRATCH))
        extra = f" ({scratch:.3f} from scratch)" if scratch is not None else ""
        relation = "above" if ours > best else "level with" if ours == best else "below"
        lines.append(f"- {task}, {kind}: {PRETRAINED} BAcc {ours:.3f}{extra} is {relation} the best baseline "
                     f"({name}, {best:.3f}).")
    averages = {}
    for method in [PRETRAINED, SCRATCH, *BASELINES]:
        values = [value.get((t, k, method)) for t, k in cells]
        if values and all(v is not None for v in values):
            averages[method] = float(np.mean(values))
    if PRETRAINED in averages and len(cells) > 1:
        best_compact = max(((averages[m], m) for m in compact if m in averages), default=None)
        logreg = [m for m in ("LogReg ERP waveform", "LogReg band power") if m in averages]
        beaten = [f"{t}, {k}" for t, k in cells
                  if any(value.get((t, k, m), -1) > value.get((t, k, PRETRAINED), 2) for m in logreg)]
        ranking = ", ".join(f"{m} {v:.3f}" for m, v in sorted(averages.items(), key=lambda item: -item[1]))
        lines.append(f"\nAverage BAcc over the {len(cells)} cells: {ranking}.")
        if best_compact is not None:
            relation = "reaches" if averages[PRETRAINED] >= best_compact[0] else "does not reach"
            lines.append(f"{PRETRAINED} {relation} the best compact baseline on that average ({best_compact[1]}, "
                         f"{best_compact[0]:.3f}).")
        lines.append("A logistic regression beats it in: " + "; ".join(beaten) + "." if beaten else
                     "It is at least level with both logistic regressions in every cell.")
    return "\n".join(lines)
